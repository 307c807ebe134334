// Reads answered by lists (provider/engine/readcache.ts) through the real engine: a preview or refresh of many
// objects sends fewer requests than objects, and drift made by hand between two previews is still seen.
import * as path from "node:path";
import { closeAllPools, IncusClient } from "pulumi-incus/provider";
import { incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-8);
const P = `prc-${s}`;
const PROFILES = 8;
const INSTANCES = 3;
const client = new IncusClient();
let t: TestStack;

const resources = [
  ...Array.from({ length: PROFILES }, (_, i) => ({ kind: "Profile", name: `p${i}`, args: { project: P, name: `p${i}`, config: { "user.index": `${i}` } } })),
  ...Array.from({ length: INSTANCES }, (_, i) => ({
    kind: "Instance",
    name: `i${i}`,
    args: {
      project: P,
      name: `i${i}`,
      image: "pulumi-incus/busybox",
      profiles: [],
      stopTimeout: 0,
      config: { "user.role": "test" },
      devices: { root: { type: "disk", path: "/", pool: "default" } },
    },
  })),
];

beforeAll(async () => {
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { resources: JSON.stringify(resources) });
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await client.delete(`/1.0/projects/${P}`, { project: null }).catch(() => undefined);
  await closeAllPools();
});

const gets = (lines: string[]) => lines.filter((l) => l.startsWith("GET ") && !l.startsWith("GET /1.0/events"));

test("previews and refreshes read through lists, and drift made by hand between two previews is seen", async () => {
  const up = await t.stack.up();
  // Every object, the stack and its identity (`+ 2` below).
  expect(up.summary.resourceChanges).toMatchObject({ create: PROFILES + INSTANCES + 2 });
  const instances = incusJson<{ name: string; status: string }[]>(`/1.0/instances?recursion=1&project=${P}`)!;
  expect(instances.map((i) => i.status)).toEqual(Array(INSTANCES).fill("Running")); // started by the create itself

  t.takeRequests();
  const quiet = await t.stack.preview();
  expect(quiet.changeSummary).toEqual({ same: PROFILES + INSTANCES + 2 });
  const read = t.takeRequests();
  expect(t.writes(read)).toEqual([]);
  expect(gets(read)).toContain(`GET /1.0/profiles?project=${P}&recursion=1`);
  expect(gets(read).length).toBeLessThan(PROFILES + INSTANCES); // one list answers several diffs

  // By hand, between two previews (each preview is a new provider process: nothing read before is reused).
  incus("profile", "set", `p${PROFILES - 1}`, "user.hand=1", "--project", P);
  incus("config", "set", `i${INSTANCES - 1}`, "user.hand=1", "--project", P);
  const drift = await t.stack.preview();
  expect(drift.changeSummary).toEqual({ same: PROFILES + INSTANCES, update: 2 });
  expect(drift.stdout).toContain(`Profile "p${PROFILES - 1}" in project "${P}": config["user.hand"]: server has "1", program wants unset`);
  expect(drift.stdout).toContain(`Instance "i${INSTANCES - 1}" in project "${P}": config["user.hand"]: server has "1", program wants unset`);

  // up reverts exactly the two drifted objects: every PUT is guarded by the ETag of a GET of that object.
  t.takeRequests();
  const fix = await t.stack.up();
  expect(fix.summary.resourceChanges).toMatchObject({ update: 2 });
  const writes = t.takeRequests();
  expect(t.writes(writes).sort()).toEqual([`PUT /1.0/instances/i${INSTANCES - 1}?project=${P}`, `PUT /1.0/profiles/p${PROFILES - 1}?project=${P}`]);
  expect(writes).toContain(`GET /1.0/profiles/p${PROFILES - 1}?project=${P}`);
  expect(incusJson(`/1.0/profiles/p${PROFILES - 1}?project=${P}`).config["user.hand"]).toBeUndefined();

  // A refresh reads every object: a few lists instead of one GET each.
  await t.stack.refresh();
  const refreshed = gets(t.takeRequests());
  expect(refreshed.length).toBeLessThan(PROFILES + INSTANCES);
  expect((await t.stack.preview()).changeSummary).toEqual({ same: PROFILES + INSTANCES + 2 });
});
