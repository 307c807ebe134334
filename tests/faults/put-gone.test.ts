// Issue 28: updates (PUT of an instance or a snapshot, renames: async in Incus) whose operation Incus had already
// forgotten when the provider asked how it ended, and a cluster member answering 500 "Missing event connection with
// target cluster member" for an operation while its event link is set up again. A proxy (opproxy.ts) in front of a
// private daemon makes every operation disappear the moment it ends and holds back the events of ended operations,
// and answers that 500 to the first operation reads of the update: each write must settle from the object it acted
// on, `up` must succeed with the program's values there, and the next `up` must write nothing. A write the daemon
// refused (its operation failed, the reason gone with it) is sent once more and then fails saying what to do.
// Before the fix every such write failed as "may or may not have happened" or with the 500.
import * as path from "node:path";
import { FaultDaemon, RUN, TEST_IMAGE_ALIAS } from "./daemon";
import { OperationProxy } from "./opproxy";
import { type Declared, FaultStack } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("pi-h-put-gone");
const P = `putgone-${RUN}`;
const EXPIRY = "2031-01-01T00:00:00Z";
/** The request log's line of a PUT of instance c0 itself (not its state or snapshots). */
const c0Put = new RegExp(`^PUT /1\\.0/instances/c0-${RUN}(\\?|$)`);

const declare = (c0: Record<string, unknown>, renamed: string, snap: Record<string, unknown>): Declared[] => [
  { kind: "Instance", name: "c0", args: { project: P, name: `c0-${RUN}`, image: TEST_IMAGE_ALIAS, ...c0 } },
  { kind: "Instance", name: "r", args: { project: P, name: renamed, image: TEST_IMAGE_ALIAS, running: false } },
  { kind: "InstanceSnapshot", name: "snap", args: { project: P, instance: "$ref:c0.name", ...snap } },
];

let proxy: OperationProxy;
let s: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=false", "-c", "features.storage.volumes=false");
  proxy = await OperationProxy.start(daemon.socket, path.join(daemon.root, "pi-h-put-gone.proxy.socket"));
  s = await FaultStack.create(proxy.socket);
  await s.declare(declare({ config: { "user.note": "one" } }, `r0-${RUN}`, { name: "first" }));
  await s.mustRun("up");
});

afterAll(async () => {
  await s?.remove();
  await proxy?.close();
  await daemon.destroy();
});

test("updates and renames whose operations are gone (and first answered 500 by a member) settle from their objects; the next up writes nothing", async () => {
  await s.declare(declare({ config: { "user.note": "two" }, description: "changed" }, `r1-${RUN}`, { name: "second", expiresAt: EXPIRY }));
  const goneBefore = proxy.gone;
  proxy.linkDown = 3;
  s.clearRequests();
  const up = await s.run("up");
  // The proxy did hide the ends and answer the 500s (else this test would prove nothing).
  expect(proxy.linkDownAnswers).toBe(3);
  expect(proxy.gone - goneBefore).toBeGreaterThanOrEqual(4);
  expect(up.output).not.toMatch(/may or may not have happened|Missing event connection/);
  if (up.code !== 0) throw new Error(up.output.slice(-4000));
  // Each write was sent once: the object said it had happened.
  const writes = s.writes();
  expect(writes.filter((w) => c0Put.test(w))).toHaveLength(1);
  expect(writes.filter((w) => new RegExp(`^POST /1\\.0/instances/r0-${RUN}(\\?|$)`).test(w))).toHaveLength(1);

  const c0 = daemon.query<{ description: string; config: Record<string, string> }>(`/1.0/instances/c0-${RUN}?project=${P}`)!;
  expect([c0.description, c0.config["user.note"]]).toEqual(["changed", "two"]);
  const names = (daemon.query<{ name: string }[]>(`/1.0/instances?project=${P}&recursion=1`) ?? []).map((i) => i.name);
  expect(names.sort()).toEqual([`c0-${RUN}`, `r1-${RUN}`]);
  const snap = daemon.query<{ expires_at: string }>(`/1.0/instances/c0-${RUN}/snapshots/second?project=${P}`)!;
  expect(new Date(snap.expires_at).toISOString()).toBe(new Date(EXPIRY).toISOString());

  s.clearRequests();
  const again = await s.mustRun("up");
  expect(s.writes()).toEqual([]);
  expect(again.output).not.toMatch(/\b(created|updated|replaced|deleted)\b/);
});

test("an update the daemon refused, its reason gone with its operation, is sent once more and then fails saying what to do", async () => {
  // Incus checks an instance's new config inside the PUT's operation: the operation fails and the object is as it was.
  await s.declare(
    declare({ config: { "user.note": "two", "limits.memory": "lots" }, description: "changed" }, `r1-${RUN}`, { name: "second", expiresAt: EXPIRY }),
  );
  s.clearRequests();
  const up = await s.run("up");
  expect(up.code).not.toBe(0);
  expect(up.output).toMatch(/sent again, and the object still does not have what it asks for/);
  expect(up.output).toMatch(/pulumi refresh/);
  expect(s.writes().filter((w) => c0Put.test(w))).toHaveLength(2);
  expect(daemon.query<{ config: Record<string, string> }>(`/1.0/instances/c0-${RUN}?project=${P}`)!.config["limits.memory"]).toBeUndefined();
});

test("destroy removes everything", async () => {
  await s.mustRun("destroy");
  expect(daemon.query(`/1.0/instances?project=${P}`)).toEqual([]);
});
