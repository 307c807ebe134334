// examples/cluster through the real pulumi CLI, as users run it: the npm tarball installed in a program directory
// outside the repository, a file backend, and a private 3-member cluster (127.0.23.2-4) reached over HTTPS through
// member 1 with the CLI's config dir (remote `cluster`, client certificate, pinned cluster certificate).
//   up → no-op up (0 writes) → the pinned instance moves (target) → evacuate and restore a member → drift made by
//   hand corrected → destroy leaves nothing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, installedProgram } from "../e2e/harness";
import { ClusterDaemons } from "./cluster";

jest.setTimeout(900_000);

type State = Record<string, any>;
const cluster = new ClusterDaemons("clx", 23);
const [M1, M2, M3] = [1, 2, 3].map((i) => cluster.member(i).name);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cluster-example-"));
const { run, takeWrites, timings } = cliSession(work);
const confDir = path.join(work, "incus-client");
const sources = path.join(cluster.root, "pool-sources");
let app = "";
let destroyed = false;
const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], app);
/** A preview with its per-resource lines (the provider's, which the CLI writes to stderr). */
const preview = () => run("bash", ["-c", "pulumi preview --diff --non-interactive 2>&1"], app);
const up = (...args: string[]) => pulumi("up", "--yes", "--skip-preview", ...args);
/** The test's own reads and writes go through member 1's unix socket (the program uses HTTPS). */
const local = () => cluster.member(1).daemon.client();
const get = async (p: string): Promise<State | undefined> => {
  try {
    return (await local().get<State>(p, { project: "default" })).value;
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return undefined;
    throw err;
  }
};
const outputs = (): State => JSON.parse(pulumi("stack", "output", "--json"));
const names = ["cl-web0", "cl-web1", "cl-web2", "cl-pinned"];

beforeAll(async () => {
  await cluster.create();
  // The incus CLI's config dir as a user has it for an HTTPS remote: the provider reads it like the CLI does.
  fs.mkdirSync(path.join(confDir, "servercerts"), { recursive: true });
  fs.writeFileSync(
    path.join(confDir, "config.yml"),
    `default-remote: cluster\nremotes:\n  cluster:\n    addr: ${cluster.member(1).url}\n    protocol: incus\n`,
  );
  fs.writeFileSync(path.join(confDir, "client.crt"), cluster.cert!.cert);
  fs.writeFileSync(path.join(confDir, "client.key"), cluster.cert!.key, { mode: 0o600 });
  fs.writeFileSync(path.join(confDir, "servercerts", "cluster.crt"), cluster.serverCert());
  for (const m of [M1, M2, M3]) fs.mkdirSync(path.join(sources, m), { recursive: true });
  app = installedProgram("cluster", "examples");
  pulumi("stack", "init", "t");
  for (const [k, v] of Object.entries({
    "incus:remote": "cluster",
    "incus:configDir": confDir,
    members: [M1, M2, M3].join(","),
    sourceBase: sources,
    pinned: M1,
    volumeMember: M3,
  }))
    pulumi("config", "set", k, v);
}, 600_000);

afterAll(async () => {
  try {
    if (app && !destroyed) pulumi("destroy", "--yes", "--skip-preview");
  } catch {
    // the test's own destroy already ran
  }
  console.log(`cluster example: formed in ${(cluster.formedIn / 1000).toFixed(1)} s; ${timings.join("; ")}`);
  await cluster.destroy();
  if (app) fs.rmSync(app, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}, 600_000);

test("up: a group, instances spread over it, a pinned instance, a volume on one member, a pool with per-member sources", async () => {
  takeWrites();
  up();
  const writes = takeWrites();
  // The pool: pending on each member, then created.
  expect(writes.filter((w) => /^POST \/1\.0\/storage-pools(\?|$)/.test(w))).toEqual([
    `POST /1.0/storage-pools?target=${M1}`,
    `POST /1.0/storage-pools?target=${M2}`,
    `POST /1.0/storage-pools?target=${M3}`,
    "POST /1.0/storage-pools",
  ]);
  expect(await get("/1.0/cluster/groups/cl-web")).toMatchObject({ members: [M1, M2, M3] });
  for (const m of [M1, M2, M3]) expect((await get(`/1.0/storage-pools/cl-pool?target=${m}`))?.config.source).toBe(path.join(sources, m));
  for (const n of names) expect(await get(`/1.0/instances/${n}`)).toMatchObject({ status: "Running" });
  expect((await get("/1.0/instances/cl-pinned"))?.location).toBe(M1);
  expect((await get(`/1.0/storage-pools/default/volumes/custom/cl-data?target=${M3}`))?.location).toBe(M3);
  const out = outputs();
  expect(out.pinnedLocation).toBe(M1);
  expect(out.volumeLocation).toBe(M3);
  for (const l of out.locations) expect([M1, M2, M3]).toContain(l);
  expect(out.memberStatus).toEqual(["Online", "Online", "Online"]);
  expect((await get(`/1.0/cluster/members/${M2}`))?.description).toBe("member of cl");
});

test("a second up with no edits sends no write", () => {
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

test("a target change moves the pinned instance (stop, move, start), never a replacement", async () => {
  pulumi("config", "set", "pinned", M2);
  expect(preview()).toContain(`target: on cluster member "${M1}", program wants "${M2}": the instance moves`);
  takeWrites();
  up();
  const writes = takeWrites();
  expect(writes.some((w) => w.startsWith("POST /1.0/instances/cl-pinned") && w.includes(`target=${M2}`))).toBe(true);
  expect(writes.filter((w) => w.startsWith("DELETE"))).toEqual([]);
  expect(await get("/1.0/instances/cl-pinned")).toMatchObject({ location: M2, status: "Running" });
  expect(outputs().pinnedLocation).toBe(M2);
});

test("maintenance as code: evacuated through the program, then restored", async () => {
  const before = await Promise.all(names.map(async (n) => (await get(`/1.0/instances/${n}`))?.location));
  pulumi("config", "set", "evacuate", M3);
  up();
  expect((await get(`/1.0/cluster/members/${M3}`))?.status).toBe("Evacuated");
  for (const n of names) expect((await get(`/1.0/instances/${n}`))?.location).not.toBe(M3);
  // Instances placed on the group moved within it: no difference for the program.
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
  pulumi("config", "rm", "evacuate");
  up();
  expect((await get(`/1.0/cluster/members/${M3}`))?.status).toBe("Online");
  // Restore brings back what the evacuation moved away.
  expect(await Promise.all(names.map(async (n) => (await get(`/1.0/instances/${n}`))?.location))).toEqual(before);
});

test("drift made by hand is shown by preview and corrected by up", async () => {
  const client = local();
  const group = (await get("/1.0/cluster/groups/cl-web"))!;
  await client.put("/1.0/cluster/groups/cl-web", { description: "by hand", members: group.members }, { project: null });
  const member = (await get(`/1.0/cluster/members/${M1}`))!;
  await client.put(`/1.0/cluster/members/${M1}`, { ...member, description: "by hand" }, { project: null });
  const shown = preview();
  expect(shown).toContain('ClusterGroup "cl-web": description: server has "by hand", program wants "web tier members"');
  expect(shown).toContain(`ClusterMember "${M1}": description: server has "by hand", program wants "member of cl"`);
  up();
  expect((await get("/1.0/cluster/groups/cl-web"))?.description).toBe("web tier members");
  expect((await get(`/1.0/cluster/members/${M1}`))?.description).toBe("member of cl");
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

test("destroy leaves nothing (the members stay, with what the program set given back)", async () => {
  pulumi("destroy", "--yes", "--skip-preview");
  for (const n of names) expect(await get(`/1.0/instances/${n}`)).toBeUndefined();
  expect(await get("/1.0/cluster/groups/cl-web")).toBeUndefined();
  expect(await get("/1.0/storage-pools/cl-pool")).toBeUndefined();
  expect(await get(`/1.0/storage-pools/default/volumes/custom/cl-data?target=${M3}`)).toBeUndefined();
  for (const m of [M1, M2, M3]) expect(await get(`/1.0/cluster/members/${m}`)).toMatchObject({ status: "Online", description: "", groups: ["default"] });
  expect(JSON.parse(pulumi("stack", "export")).deployment.resources ?? []).toHaveLength(0);
  destroyed = true;
});
