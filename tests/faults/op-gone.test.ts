// Issue 28: creates whose operation Incus had already forgotten when the provider asked how it ended (Incus keeps a
// finished operation ~5 s; with hundreds of creates in flight on a loaded machine the provider asked later and got
// 404). A proxy (opproxy.ts) in front of a private daemon makes every operation disappear the moment it ends and
// holds back the events of ended operations, so no create can learn its end from the operation: each must settle
// from the object it made (its owner mark and claim, or for a snapshot the server's record of it), `up` must succeed, and the next `up`
// must write nothing. Before the fix every such create failed with "may or may not have happened".
import * as path from "node:path";
import { FaultDaemon, RUN, TEST_IMAGE_ALIAS } from "./daemon";
import { OperationProxy } from "./opproxy";
import { type Declared, FaultStack, incusResources } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("pi-op404-gone");
const P = `opgone-${RUN}`;
const N = 4;

const declared: Declared[] = [
  ...Array.from({ length: N }, (_, i) => ({ kind: "Instance", name: `c${i}`, args: { project: P, name: `c${i}`, image: TEST_IMAGE_ALIAS } })),
  { kind: "InstanceSnapshot", name: "snap", args: { project: P, instance: "$ref:c0.name", name: "first" } },
];

let proxy: OperationProxy;
let s: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=false", "-c", "features.storage.volumes=false");
  proxy = await OperationProxy.start(daemon.socket, path.join(daemon.root, "pi-op404-gone.proxy.socket"));
  s = await FaultStack.create(proxy.socket);
});

afterAll(async () => {
  await s?.remove();
  await proxy?.close();
  await daemon.destroy();
});

test("creates whose operations are gone before the wait settle from their objects; the next up writes nothing", async () => {
  await s.declare(declared);
  const up = await s.run("up");
  // The proxy did hide the ends (else this test would prove nothing).
  expect(proxy.gone).toBeGreaterThanOrEqual(N + 1);
  expect(proxy.droppedEvents).toBeGreaterThanOrEqual(N + 1);
  expect(up.output).not.toMatch(/may or may not have happened/);
  if (up.code !== 0) throw new Error(up.output.slice(-4000));
  const instances = daemon.query<{ name: string; status: string }[]>(`/1.0/instances?recursion=1&project=${P}`) ?? [];
  expect(instances.map((i) => `${i.name} ${i.status}`).sort()).toEqual(Array.from({ length: N }, (_, i) => `c${i} Running`));
  expect(daemon.query<string[]>(`/1.0/instances/c0/snapshots?project=${P}`)).toHaveLength(1);
  const recorded = incusResources(await s.state());
  expect(recorded).toHaveLength(N + 1);
  expect(recorded.filter((r) => r.initErrors?.length)).toEqual([]);

  s.clearRequests();
  const again = await s.mustRun("up");
  expect(s.writes()).toEqual([]);
  expect(again.output).not.toMatch(/\b(created|updated|replaced|deleted)\b/);
});

test("a create that was accepted and made nothing fails plainly, with nothing recorded", async () => {
  // The instance's create is accepted (202) and its operation fails (no such image): gone from the proxy, and no
  // object exists, so the create fails; nothing of it is kept in the stack.
  await s.declare([...declared, { kind: "Instance", name: "bad", args: { project: P, name: "bad", image: "f".repeat(64) } }]);
  const up = await s.run("up");
  expect(up.code).not.toBe(0);
  expect(up.output).toMatch(/no such object exists: the create failed/);
  expect(incusResources(await s.state()).map((r) => r.urn)).not.toContainEqual(expect.stringMatching(/::bad$/));
});

test("destroy removes everything", async () => {
  await s.declare([]);
  await s.mustRun("destroy");
  expect(daemon.query(`/1.0/instances?project=${P}`)).toEqual([]);
});
