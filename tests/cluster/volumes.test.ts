// Per-member objects on a private 3-member cluster (127.0.11.2-4), through the real Pulumi engine (Automation API on
// the `declared` test program) over HTTPS: two custom volumes and two buckets with the same name on two members are
// four resources; a snapshot of one of the volumes; reads, writes, the lookup and deletes carry `?target=`; an edit
// of one touches only it; a no-op `up` writes nothing; a target change replaces; destroy leaves nothing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFor, IncusError } from "pulumi-incus/provider";
import { programStack, REPO, type TestStack, uniqueSuffix } from "../e2e/harness";
import { ClusterDaemons } from "./cluster";

jest.setTimeout(600_000);

const cluster = new ClusterDaemons("volumes", 11, 3, { buckets: true });
const [m1, m2, m3] = ["volumes-m1", "volumes-m2", "volumes-m3"];
const s = uniqueSuffix().slice(-6);
const vol = `data-${s}`;
const bucket = `files-${s}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cluster-volumes-"));
let configDir = "";
let t: TestStack;

function declare(over: { aTarget?: string; bDescription?: string } = {}): Promise<void> {
  const resources = [
    { kind: "StorageVolume", name: "a", args: { name: vol, pool: "default", target: over.aTarget ?? m1, description: "first" } },
    { kind: "StorageVolume", name: "b", args: { name: vol, pool: "default", target: m2, description: over.bDescription ?? "second" } },
    { kind: "StorageVolumeSnapshot", name: "snap", args: { name: "s1", pool: "default", volume: vol, target: m2 }, dependsOn: ["b"] },
    { kind: "StorageBucket", name: "ba", args: { name: bucket, pool: "default", target: m1, description: "first" } },
    { kind: "StorageBucket", name: "bb", args: { name: bucket, pool: "default", target: m2, description: "second" } },
  ];
  return t.stack.setConfig("resources", { value: JSON.stringify(resources) });
}

/** The object as the member holds it; null when it has none. */
async function onMember(apiPath: string, member: string): Promise<{ description: string; location: string } | null> {
  try {
    return (await cluster.client().get<{ description: string; location: string }>(apiPath, { project: "default", query: { target: member } })).value;
  } catch (err) {
    if (err instanceof IncusError && err.isNotFound) return null;
    throw err;
  }
}
const volumePath = `/1.0/storage-pools/default/volumes/custom/${vol}`;
const bucketPath = `/1.0/storage-pools/default/buckets/${bucket}`;

beforeAll(async () => {
  await cluster.create();
  configDir = cluster.writeConfigDir(path.join(work, "incus-conf"));
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { "incus:remote": "cluster", "incus:configDir": configDir });
}, 300_000);

afterAll(async () => {
  await t?.cleanup(true).catch(() => undefined);
  await cluster.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}, 300_000);

test("the same name on two members is two volumes and two buckets, each read and written on its own member", async () => {
  await declare();
  t.takeRequests();
  const up = await t.stack.up();
  expect(up.summary.resourceChanges?.create).toBe(7); // the stack, its identity, 2 volumes, a snapshot, 2 buckets
  expect(await onMember(volumePath, m1)).toMatchObject({ description: "first", location: m1 });
  expect(await onMember(volumePath, m2)).toMatchObject({ description: "second", location: m2 });
  expect(await onMember(bucketPath, m1)).toMatchObject({ description: "first", location: m1 });
  expect(await onMember(bucketPath, m2)).toMatchObject({ description: "second", location: m2 });
  expect(await onMember(`${volumePath}/snapshots/s1`, m2)).not.toBeNull();
  expect(await onMember(`${volumePath}/snapshots/s1`, m1)).toBeNull();
  // Without a target Incus cannot tell them apart.
  await expect(cluster.client().get(volumePath, { project: "default" })).rejects.toThrow(/More than one cluster member has a volume named/);
  const requests = t.takeRequests().filter((l) => l.includes(vol) || l.includes(bucket));
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((l) => !/[?&]target=volumes-m[12]\b/.test(l))).toEqual([]);

  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 7 });
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("an edit of one touches only that member's object; the lookup finds each by its member", async () => {
  await declare({ bDescription: "edited" });
  t.takeRequests();
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ update: 1, same: 6 });
  expect(t.writes(t.takeRequests())).toEqual([`PUT ${volumePath}?target=${m2}`]);
  expect((await onMember(volumePath, m1))?.description).toBe("first");
  expect((await onMember(volumePath, m2))?.description).toBe("edited");
  const lookup = (target: string) => engineFor("StorageVolume").lookup({ name: vol, pool: "default", target, remote: "cluster", configDir });
  expect(await lookup(m1)).toMatchObject({ name: vol, target: m1, location: m1, description: "first" });
  expect(await lookup(m2)).toMatchObject({ name: vol, target: m2, location: m2, description: "edited" });
});

test("a target change replaces the volume: made on the new member, deleted from the old one", async () => {
  await declare({ aTarget: m3, bDescription: "edited" });
  const preview = await t.stack.preview();
  expect(preview.changeSummary).toMatchObject({ replace: 1 });
  t.takeRequests();
  await t.stack.up();
  const writes = t.writes(t.takeRequests());
  expect(writes).toContain(`DELETE ${volumePath}?target=${m1}`);
  expect(writes).toContain(`POST /1.0/storage-pools/default/volumes/custom?target=${m3}`);
  expect(await onMember(volumePath, m1)).toBeNull();
  expect(await onMember(volumePath, m3)).toMatchObject({ description: "first", location: m3 });
  expect((await onMember(volumePath, m2))?.description).toBe("edited");
});

test("destroy deletes each from its own member and leaves nothing", async () => {
  await t.stack.destroy();
  for (const m of [m1, m2, m3]) {
    expect(await onMember(volumePath, m)).toBeNull();
    expect(await onMember(bucketPath, m)).toBeNull();
  }
});
