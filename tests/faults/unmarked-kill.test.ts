// Kinds with no config map for the owner mark (here instance and volume snapshots): the `pulumi` CLI killed while
// their creates run. Incus finishes the snapshots (and the provider plugin, which outlives the CLI, its creates), but
// Pulumi records neither. The server's config holds their marks (`user.pulumi-incus.mark.*`, written before each
// create request), so the next `up` takes both over instead of stopping at "already exists"; destroy removes the
// records with the objects. Runs against a dedicated daemon (daemon.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { FaultDaemon, RUN, TEST_IMAGE_ALIAS } from "./daemon";
import { type Declared, FaultStack, incusResources, signalGroup } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("unmarked-kill");
const P = `unmarked-${RUN}`;

const base: Declared[] = [
  { kind: "Instance", name: "box", args: { project: P, name: "box", image: TEST_IMAGE_ALIAS, running: false } },
  { kind: "StorageVolume", name: "data", args: { project: P, name: "data", pool: "default" } },
];
const snapshots: Declared[] = [
  { kind: "InstanceSnapshot", name: "snap", args: { project: P, instance: "$ref:box.name", name: "before" } },
  { kind: "StorageVolumeSnapshot", name: "vsnap", args: { project: P, pool: "default", volume: "$ref:data.name", name: "nightly" } },
];

const records = () =>
  Object.entries(daemon.query<{ config: Record<string, string> }>("/1.0")?.config ?? {}).filter(([k]) => k.startsWith("user.pulumi-incus.mark."));
const snapshotNames = () => [
  ...(daemon.query<string[]>(`/1.0/instances/box/snapshots?project=${P}`) ?? []),
  ...(daemon.query<string[]>(`/1.0/storage-pools/default/volumes/custom/data/snapshots?project=${P}`) ?? []),
];

/** Fills a directory of the private daemon's `dir` pool, so that a snapshot of it (a copy) takes seconds. */
function fill(dir: string) {
  const fd = fs.openSync(path.join(dir, "filler"), "w");
  const chunk = Buffer.alloc(8 << 20, 1);
  for (let i = 0; i < 48; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

let s: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=false", "-c", "features.storage.volumes=true");
  s = await FaultStack.create(daemon.socket);
});

afterAll(async () => {
  await s?.remove();
  await daemon.destroy();
});

test("SIGKILL of the CLI while snapshots are taken: the next up takes them over and clears the records", async () => {
  await s.declare(base);
  await s.mustRun("up");
  fill(path.join(daemon.dir, "storage-pools", "default", "containers", `${P}_box`, "rootfs"));
  fill(path.join(daemon.dir, "storage-pools", "default", "custom", `${P}_data`));

  await s.declare([...base, ...snapshots]);
  s.clearRequests();
  const up = s.start("up");
  await s.waitForRequests(/^POST \/1\.0\/(instances\/box|storage-pools\/default\/volumes\/custom\/data)\/snapshots\?project=/, 2, up);
  signalGroup(up, "SIGKILL");
  await up.done;
  // Incus carries on without the dead CLI: both snapshots get made, and nothing in Pulumi's state records them.
  for (let i = 0; i < 240 && snapshotNames().length < 2; i++) await new Promise((r) => setTimeout(r, 250));
  expect(
    snapshotNames()
      .map((n) => n.split("?")[0].split("/").pop())
      .sort(),
  ).toEqual(["before", "nightly"]);
  const interrupted = await s.state();
  expect(incusResources(interrupted).filter((r) => r.type.endsWith("Snapshot"))).toEqual([]);
  const before = records();
  expect(before).toHaveLength(2);

  s.repairTornSidecars();
  const blocked = await s.run("up");
  if (/the stack is currently locked/.test(blocked.output)) await s.mustRun("cancel");
  const again = blocked.code === 0 && !/currently locked/.test(blocked.output) ? blocked : await s.run("up");
  if (again.code !== 0) throw new Error(again.output.slice(-5000));
  expect(again.output).not.toMatch(/already exists/);
  expect(again.output).toMatch(/taking it over/);
  const taken = incusResources(await s.state()).filter((r) => r.type.endsWith("Snapshot"));
  expect(taken).toHaveLength(2);
  // Each record now holds the claim of the create that took the object over, as its resource's state does.
  expect(
    records()
      .map(([k]) => k)
      .sort(),
  ).toEqual(before.map(([k]) => k).sort());
  expect(
    records()
      .map(([, v]) => v.split(" #")[1])
      .sort(),
  ).toEqual(taken.map((r) => r.outputs?.__claim).sort());

  s.clearRequests();
  await s.mustRun("up");
  expect(s.writes()).toEqual([]);
});

test("destroy removes every object and leaves no record in the server's config", async () => {
  await s.declare([]);
  await s.mustRun("destroy");
  expect(daemon.query(`/1.0/instances?project=${P}`)).toEqual([]);
  expect(daemon.query(`/1.0/storage-pools/default/volumes/custom?project=${P}`)).toEqual([]);
  expect(records()).toEqual([]);
});
