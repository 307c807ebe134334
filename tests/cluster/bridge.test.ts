// A bridge network on a cluster, through the real Pulumi engine (Automation API on the `declared` test program, over
// member 1's unix socket): the members each run in a network namespace of their own (tests/cluster/netns.ts), so each
// makes its own bridge. `memberConfig` gives each member its own `bridge.external_interfaces` (one end of a veth pair
// the test made in that member's namespace): create is one pending POST per member then the global POST; a second `up`
// writes nothing; a change of one member's entry is written to that member only (and the global part put back);
// destroy removes the bridge from every member. The bridges have no addresses; nothing is sent anywhere.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { IncusError } from "pulumi-incus/provider";
import { programStack, REPO, type TestStack, uniqueSuffix } from "../e2e/harness";
import { NetnsCluster } from "./netns";

jest.setTimeout(600_000);

const cluster = new NetnsCluster("br");
const [m1, m2, m3] = ["br-m1", "br-m2", "br-m3"];
const net = `picl3${uniqueSuffix().slice(-6)}`;
const netPath = `/1.0/networks/${net}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cl3-bridge-"));
let t: TestStack;

function declare(memberConfig: Record<string, Record<string, string>>, description = "one bridge per member"): Promise<void> {
  const config = { "ipv4.address": "none", "ipv6.address": "none" };
  const resources = [{ kind: "Network", name: "br", args: { name: net, type: "bridge", description, config, memberConfig } }];
  return t.stack.setConfig("resources", { value: JSON.stringify(resources) });
}
const external = (i: number, extra = "") => ({ "bridge.external_interfaces": `pix${i}${extra}` });

/** The interfaces of member `i`'s namespace: name → the bridge it is attached to ("" when none); absent when none. */
function links(i: number): Record<string, string> {
  const list = JSON.parse(cluster.exec(i, ["ip", "-j", "link", "show"])) as { ifname: string; master?: string }[];
  return Object.fromEntries(list.map((l) => [l.ifname, l.master ?? ""]));
}

async function getOrNull(apiPath: string): Promise<Record<string, any> | null> {
  try {
    return (await cluster.client().get<Record<string, any>>(apiPath, { project: "default" })).value;
  } catch (err) {
    if (err instanceof IncusError && err.isNotFound) return null;
    throw err;
  }
}

beforeAll(async () => {
  await cluster.create();
  console.log(`netns cluster formed in ${(cluster.formedIn / 1000).toFixed(1)} s (namespaces ${cluster.netnsMs} ms)`);
  // Each member's own spare interfaces (veth pairs: this kernel has no dummy interfaces), in its own namespace only.
  for (const i of [1, 2, 3])
    for (const name of [`pix${i}`, `pix${i}b`]) cluster.exec(i, ["ip", "link", "add", name, "type", "veth", "peer", "name", `${name}p`]);
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { "incus:socket": cluster.member(1).daemon.socket });
}, 300_000);

afterAll(async () => {
  await t?.cleanup(true).catch(() => undefined);
  const started = Date.now();
  await cluster.destroy();
  console.log(`netns cluster torn down in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  fs.rmSync(work, { recursive: true, force: true });
}, 300_000);

test("create: pending on each member with its own external interface, then created; each member has its bridge", async () => {
  await declare({ [m1]: external(1), [m2]: external(2), [m3]: external(3) });
  t.takeRequests();
  const up = await t.stack.up();
  expect(up.summary.resourceChanges?.create).toBe(3); // the stack, its identity and the network
  const posts = t.writes(t.takeRequests()).filter((w) => w.startsWith("POST /1.0/networks"));
  expect(posts).toEqual([`POST /1.0/networks?target=${m1}`, `POST /1.0/networks?target=${m2}`, `POST /1.0/networks?target=${m3}`, "POST /1.0/networks"]);
  const global = await getOrNull(netPath);
  expect(global).toMatchObject({ status: "Created", type: "bridge", description: "one bridge per member" });
  expect(global?.config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
  expect([...(global?.locations ?? [])].sort()).toEqual([m1, m2, m3]);
  for (const [i, m] of [m1, m2, m3].entries()) {
    expect((await getOrNull(`${netPath}?target=${m}`))?.config).toMatchObject(external(i + 1));
    // The bridge exists in that member's namespace, with that member's interface attached.
    expect(links(i + 1)).toMatchObject({ [net]: "", [`pix${i + 1}`]: net, [`pix${i + 1}b`]: "" });
  }
});

test("no-op: a second up reads each member and writes nothing", async () => {
  t.takeRequests();
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 3 });
  const requests = t.takeRequests();
  expect(t.writes(requests)).toEqual([]);
  // The diff read each member's own view.
  for (const m of [m1, m2, m3]) expect(requests).toContain(`GET ${netPath}?target=${m}`);
});

test("an edit of one member's entry is written to that member only; the global part is kept", async () => {
  await declare({ [m1]: external(1), [m2]: { "bridge.external_interfaces": "pix2,pix2b" }, [m3]: external(3) });
  const preview = await t.stack.preview();
  expect(preview.changeSummary).toMatchObject({ update: 1 });
  expect(preview.stdout).toContain(`memberConfig["${m2}"]["bridge.external_interfaces"]: server has "pix2", program wants "pix2,pix2b"`);
  t.takeRequests();
  await t.stack.up();
  const writes = t.writes(t.takeRequests());
  expect(writes).toContain(`PUT ${netPath}?target=${m2}`);
  expect(writes.filter((w) => /target=/.test(w))).toEqual([`PUT ${netPath}?target=${m2}`]);
  expect(links(2)).toMatchObject({ pix2: net, pix2b: net });
  expect(links(1)).toMatchObject({ pix1: net, pix1b: "" });
  expect(links(3)).toMatchObject({ pix3: net, pix3b: "" });
  expect(await getOrNull(netPath)).toMatchObject({ description: "one bridge per member", config: { "ipv4.address": "none", "ipv6.address": "none" } });
  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 3 });
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("destroy removes the bridge from every member and the network from the cluster", async () => {
  await t.stack.destroy();
  expect(await getOrNull(netPath)).toBeNull();
  for (const i of [1, 2, 3]) expect(links(i)[net]).toBeUndefined();
});
