// Per-member objects named by their member, on a private 3-member cluster (127.0.60.2-4, tests/cluster/cluster.ts):
// - the server-config ownership records of objects without a map of their own (snapshots here) are one per member:
//   snapshots of the same name of same-name volumes on two members keep their own records, and destroy deletes both;
// - a snapshot's `location` output is its volume's member (Incus's snapshot object does not say), with or without
//   `target`; bucket keys of same-name buckets on two members are two keys, each with its member as `location`;
// - `pulumi import` (the real CLI, the YAML plugin) with ids naming the member (`?target=<member>`): two volumes of the
//   same name on two members, a snapshot, a bucket and an instance; the code Pulumi writes declares each `target`, its
//   preview is clean, `up` writes nothing and destroy removes what was imported;
// - ownership records written (and cleared) many at once through one member all take effect.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { IncusError } from "pulumi-incus/provider";
import { writeRecord } from "../../provider/engine/ownership";
import { cliSession, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "../e2e/harness";
import { ClusterDaemons, TEST_IMAGE_ALIAS } from "./cluster";

jest.setTimeout(600_000);

const cluster = new ClusterDaemons("cl3", 60, 3, { buckets: true });
const [m1, m2, m3] = ["cl3-m1", "cl3-m2", "cl3-m3"];
const s = uniqueSuffix().slice(-6);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cl3-ids-"));
let configDir = "";

/** The object as the member holds it; null when it has none. */
async function onMember(apiPath: string, member?: string): Promise<Record<string, any> | null> {
  try {
    const query = member ? { target: member } : undefined;
    return (await cluster.client().get<Record<string, any>>(apiPath, { project: "default", query })).value;
  } catch (err) {
    if (err instanceof IncusError && err.isNotFound) return null;
    throw err;
  }
}
const records = async () =>
  Object.keys((await onMember("/1.0"))?.config ?? {})
    .filter((k) => k.startsWith("user.pulumi-incus.mark."))
    .sort();

beforeAll(async () => {
  useYamlHost();
  await cluster.create();
  configDir = cluster.writeConfigDir(path.join(work, "incus-conf"));
}, 300_000);

afterAll(async () => {
  await cluster.destroy();
  fs.rmSync(work, { recursive: true, force: true });
}, 300_000);

describe("snapshots and bucket keys of same-name volumes and buckets on two members (Automation API)", () => {
  const vol = `data-${s}`;
  const lone = `lone-${s}`;
  const bucket = `keys-${s}`;
  const keyPath = `/1.0/storage-pools/default/buckets/${bucket}/keys/k`;
  let t: TestStack;
  const snapPath = (v: string) => `/1.0/storage-pools/default/volumes/custom/${v}/snapshots/s1`;

  beforeAll(async () => {
    t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { "incus:remote": "cluster", "incus:configDir": configDir });
    const resources = [
      { kind: "StorageVolume", name: "a", args: { name: vol, pool: "default", target: m1 } },
      { kind: "StorageVolume", name: "b", args: { name: vol, pool: "default", target: m2 } },
      { kind: "StorageVolume", name: "c", args: { name: lone, pool: "default", target: m3 } },
      { kind: "StorageVolumeSnapshot", name: "sa", args: { name: "s1", pool: "default", volume: vol, target: m1 }, dependsOn: ["a"] },
      { kind: "StorageVolumeSnapshot", name: "sb", args: { name: "s1", pool: "default", volume: vol, target: m2 }, dependsOn: ["b"] },
      // No target: its volume's name is on one member only.
      { kind: "StorageVolumeSnapshot", name: "sc", args: { name: "s1", pool: "default", volume: lone }, dependsOn: ["c"] },
      // Keys of same-name buckets on two members.
      { kind: "StorageBucket", name: "ba", args: { name: bucket, pool: "default", target: m1 } },
      { kind: "StorageBucket", name: "bb", args: { name: bucket, pool: "default", target: m2 } },
      { kind: "StorageBucketKey", name: "ka", args: { name: "k", pool: "default", bucket, target: m1, description: "one" }, dependsOn: ["ba"] },
      { kind: "StorageBucketKey", name: "kb", args: { name: "k", pool: "default", bucket, target: m2, description: "two" }, dependsOn: ["bb"] },
    ];
    await t.stack.setConfig("resources", { value: JSON.stringify(resources) });
  }, 120_000);
  afterAll(() => t?.cleanup(true).catch(() => undefined), 300_000);

  test("each snapshot keeps its own ownership record, snapshots and keys report their member as `location`, destroy deletes every one", async () => {
    const before = await records();
    await t.stack.up();
    expect(await onMember(snapPath(vol), m1)).not.toBeNull();
    expect(await onMember(snapPath(vol), m2)).not.toBeNull();
    // One record per snapshot and key: two of the same path on two members do not share one.
    const made = (await records()).filter((k) => !before.includes(k));
    expect(made).toHaveLength(5);
    const state = (await t.stack.exportStack()).deployment.resources as { urn: string; outputs?: Record<string, unknown> }[];
    const location = (name: string) => state.find((r) => r.urn.endsWith(`::${name}`))?.outputs?.location;
    expect([location("sa"), location("sb"), location("sc")]).toEqual([m1, m2, m3]);
    // Each key on its own bucket's member.
    expect([location("ka"), location("kb")]).toEqual([m1, m2]);
    expect((await onMember(keyPath, m1))?.description).toBe("one");
    expect((await onMember(keyPath, m2))?.description).toBe("two");
    const again = await t.stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: 12 });

    await t.stack.destroy();
    for (const m of [m1, m2]) expect(await onMember(snapPath(vol), m)).toBeNull();
    expect(await onMember(snapPath(lone), m3)).toBeNull();
    for (const m of [m1, m2]) expect(await onMember(keyPath, m)).toBeNull();
    expect(await records()).toEqual(before);
  });
});

describe("pulumi import with ids that name the member (CLI, YAML plugin)", () => {
  const vol = `imp-${s}`;
  const bucket = `impb-${s}`;
  const inst = `impc-${s}`;
  const ids = {
    a: `/1.0/storage-pools/default/volumes/custom/${vol}?target=${m1}`,
    b: `/1.0/storage-pools/default/volumes/custom/${vol}?target=${m2}`,
    snap: `/1.0/storage-pools/default/volumes/custom/${vol}/snapshots/s1?target=${m2}`,
    bucket: `/1.0/storage-pools/default/buckets/${bucket}?target=${m2}`,
    inst: `/1.0/instances/${inst}?target=${m3}`,
  };

  beforeAll(() => {
    cluster.incus(["storage", "volume", "create", "default", vol, "--target", m1, "user.side=one"]);
    cluster.incus(["storage", "volume", "create", "default", vol, "--target", m2, "user.side=two"]);
    cluster.incus(["storage", "volume", "snapshot", "create", "default", vol, "s1", "--target", m2]);
    cluster.incus(["storage", "bucket", "create", "default", bucket, "--target", m2]);
    cluster.incus(["create", TEST_IMAGE_ALIAS, inst, "--target", m3]);
  }, 120_000);

  test("the code Pulumi writes names each member; preview is clean, up writes nothing, destroy removes them", () => {
    const { run, takeWrites } = cliSession(work);
    const dir = path.join(work, "program");
    fs.mkdirSync(dir);
    const head = `name: incus-cl3-import\nruntime: yaml\npackages:\n  incus: ${path.join(REPO, "provider", "plugin", "incus")}\n`;
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${head}resources: {}\n`);
    const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], dir);
    pulumi("stack", "init", "import");
    pulumi("config", "set", "incus:remote", "cluster");
    pulumi("config", "set", "incus:configDir", configDir);
    const file = {
      resources: [
        { type: "incus:index:StorageVolume", name: "a", id: ids.a },
        { type: "incus:index:StorageVolume", name: "b", id: ids.b },
        { type: "incus:index:StorageVolumeSnapshot", name: "snap", id: ids.snap },
        { type: "incus:index:StorageBucket", name: "bucket", id: ids.bucket },
        { type: "incus:index:Instance", name: "inst", id: ids.inst },
      ],
    };
    fs.writeFileSync(path.join(work, "import.json"), JSON.stringify(file));
    pulumi("import", "--file", path.join(work, "import.json"), "--yes", "--protect=false", "--out", path.join(work, "imported.yaml"));
    expect(takeWrites()).toEqual([]);
    const generated = fs.readFileSync(path.join(work, "imported.yaml"), "utf8");
    expect(
      generated
        .match(/^ {6}target: \S+$/gm)
        ?.map((l) => l.trim())
        .sort(),
    ).toEqual([`target: ${m1}`, `target: ${m2}`, `target: ${m2}`, `target: ${m2}`, `target: ${m3}`].sort());
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${head}${generated}`);
    const state = JSON.parse(pulumi("stack", "export"));
    expect(
      state.deployment.resources
        .filter((r: any) => r.type.startsWith("incus:"))
        .map((r: any) => r.id)
        .sort(),
    ).toEqual(Object.values(ids).sort());

    pulumi("preview", "--expect-no-changes", "--diff");
    pulumi("up", "--yes", "--expect-no-changes");
    expect(takeWrites()).toEqual([]);

    pulumi("destroy", "--yes");
    expect(cluster.incus(["storage", "volume", "list", "default", "-f", "csv", "-c", "n"])).not.toContain(vol);
    expect(cluster.incus(["storage", "bucket", "list", "default", "-f", "csv", "-c", "n"])).not.toContain(bucket);
    expect(cluster.incus(["list", "-f", "csv", "-c", "n"])).not.toContain(inst);
  });

  test("an instance id naming a member it does not run on is refused, naming where it runs", () => {
    const { run } = cliSession(work);
    const dir = path.join(work, "program");
    cluster.incus(["create", TEST_IMAGE_ALIAS, `${inst}x`, "--target", m1]);
    const wrong = `/1.0/instances/${inst}x?target=${m2}`;
    expect(() => run("pulumi", ["import", "incus:index:Instance", "x", wrong, "--yes", "--non-interactive"], dir)).toThrow(
      `names "${m2}", but the instance is on "${m1}"`,
    );
    cluster.incus(["delete", `${inst}x`]);
  });
});

describe("ownership records written at once through one member", () => {
  // Incus merges a PATCH of a cluster's server config into the config as it read it, so PATCHes at once drop each
  // other's keys (10 at once kept 2 to 9 in a probe); the provider sends its record writes one after another.
  test("12 records written together are all there, and 12 cleared together are all gone", async () => {
    const client = cluster.client() as unknown as Parameters<typeof writeRecord>[0];
    const keys = Array.from({ length: 12 }, (_, i) => `user.pulumi-incus.mark.race${s}${i}`);
    await Promise.all(keys.map((k) => writeRecord(client, k, "x")));
    const written = (await onMember("/1.0"))?.config ?? {};
    expect(keys.filter((k) => written[k] === "x")).toEqual(keys);
    await Promise.all(keys.map((k) => writeRecord(client, k, "")));
    const cleared = Object.keys((await onMember("/1.0"))?.config ?? {});
    expect(cleared.filter((k) => keys.includes(k))).toEqual([]);
  });
});
