// The snapshot kinds, volume copies and imports and ImageAlias through the real Pulumi CLI and the real daemon, in
// one stack: up creates them, a second up is unchanged with no write, an edit (expiry, description) updates in
// place without replacing the copy, destroy leaves nothing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-8);
const P = `pie-snap-${s}`;
const TARBALL = path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pie-snapkinds-"));
const BACKUP = path.join(scratch, "backup.tar.gz");
const client = new IncusClient();
const [T1, T2] = ["2031-01-01T00:00:00Z", "2032-02-02T00:00:00Z"];
const q = (p: string) => incusJson(`${p}?project=${P}`);
const vol = (name: string) => `/1.0/storage-pools/default/volumes/custom/${name}`;

let t: TestStack;

beforeAll(async () => {
  // Every feature on, and the project's own default profile with a root disk. (A project that borrows the default
  // project's profiles must not be force-deleted: that emptied the shared default profile here.)
  await client.post(
    "/1.0/projects",
    { name: P, config: { "features.images": "true", "features.profiles": "true", "features.storage.volumes": "true" } },
    { project: null },
  );
  await client.put("/1.0/profiles/default", { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } }, { project: P });
  // The backup to import: a volume with config, exported and removed again.
  incus("storage", "volume", "create", "default", "src", "user.from=backup", "--project", P);
  incus("storage", "volume", "export", "default", "src", BACKUP, "--volume-only", "--project", P);
  incus("storage", "volume", "delete", "default", "src", "--project", P);
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "snapshot-kinds"), {
    project: P,
    suffix: s,
    tarball: TARBALL,
    backup: BACKUP,
    expiry: T1,
    note: "first",
  });
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await deleteProjectAndContents(client, P).catch(() => undefined);
  fs.rmSync(scratch, { recursive: true, force: true });
  await closeAllPools();
});

test("up creates the snapshots, the copy, the import and the alias", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges?.create).toBe(11); // nine resources, the stack and its identity
  expect(q(`/1.0/instances/inst-${s}/snapshots/before-upgrade`)).toMatchObject({ expires_at: T1, stateful: false });
  expect(q(`${vol(`data-${s}`)}/snapshots/nightly`)).toMatchObject({ description: "first", expires_at: T1 });
  expect(q(vol(`restored-${s}`))).toMatchObject({ description: "first", config: { size: "16MiB" } });
  expect(q(vol(`imported-${s}`))).toMatchObject({ config: { "user.from": "backup" } });
  const alias = q(`/1.0/images/aliases/e2e%2F${s}`);
  expect(alias).toMatchObject({ description: "first", type: "container" });
  expect(alias.target).toMatch(/^[0-9a-f]{64}$/);
  expect(up.outputs.aliasType.value).toBe("container");
  expect(up.outputs.snapCreatedAt.value).toMatch(/^\d{4}-/);
  // The image published from the snapshot, with the program's alias and property.
  const golden = q(`/1.0/images/${up.outputs.goldenFingerprint.value}`);
  expect(golden).toMatchObject({ type: "container", properties: expect.objectContaining({ "user.note": "first" }) });
  expect(golden.aliases.map((a: { name: string }) => a.name)).toEqual([`golden/${s}`]);
  t.takeRequests();
});

test("a second up changes nothing and sends no write", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 11 });
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("an edit of expiry and description updates in place; the copy's source is unchanged, so it stays", async () => {
  await t.stack.setConfig("expiry", { value: T2 });
  await t.stack.setConfig("note", { value: "second" });
  const restoredBefore = q(vol(`restored-${s}`)).created_at;
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 6, update: 5 });
  expect(q(`/1.0/instances/inst-${s}/snapshots/before-upgrade`)).toMatchObject({ expires_at: T2 });
  expect(q(`${vol(`data-${s}`)}/snapshots/nightly`)).toMatchObject({ description: "second", expires_at: T2 });
  expect(q(vol(`restored-${s}`))).toMatchObject({ description: "second", created_at: restoredBefore });
  expect(q(`/1.0/images/aliases/e2e%2F${s}`)).toMatchObject({ description: "second" });
  expect(q(`/1.0/images/aliases/golden%2F${s}`)).toBeTruthy();
  t.takeRequests();
  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 11 });
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("destroy leaves nothing", async () => {
  await t.stack.destroy();
  expect(q(`/1.0/instances/inst-${s}`)).toBeNull();
  for (const v of [`data-${s}`, `restored-${s}`, `imported-${s}`]) expect(q(vol(v))).toBeNull();
  expect(q(`/1.0/images/aliases/e2e%2F${s}`)).toBeNull();
  expect(incusJson(`/1.0/images?project=${P}`)).toEqual([]);
});
