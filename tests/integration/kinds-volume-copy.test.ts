// StorageVolume copies and imports against the real daemon, in a project of its own: a copy of a volume, a copy of
// one of its snapshots into another pool, and an import of a backup made with `incus storage volume export`. Each
// really has the source's content: a file written into the source by a container is read back from the new volume
// by the same container. Where a volume comes from is fixed (another source replaces it); its own fields change in
// place; no-op, adopt, a taken name and bad input are covered too.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFor } from "pulumi-incus/provider";
import {
  BUSYBOX_ALIAS,
  BUSYBOX_TARBALL,
  closeConnections,
  dropIfPresent,
  dropProject,
  incus,
  query,
  queryWrite,
  rand,
  rejection,
  requestLog,
  Resource,
} from "./kinds-harness";

type State = Record<string, unknown>;
jest.setTimeout(300_000);

const project = `pit-volcopy-${rand()}`;
const otherPool = `pit-vcpool-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-volcopy-"));
const backup = path.join(scratch, "vsrc.tar.gz");
const vol = (pool: string, name: string) => `/1.0/storage-pools/${pool}/volumes/custom/${name}${q}`;
const sh = (script: string) => incus("exec", "c1", "--project", project, "--", "sh", "-c", script);

/** The marker file of a volume, read by the test container with the volume attached for the moment. */
function marker(pool: string, name: string): string {
  incus("storage", "volume", "attach", pool, name, "c1", `/mnt/${name}`, "--project", project);
  try {
    return sh(`cat /mnt/${name}/marker`).trim();
  } finally {
    incus("storage", "volume", "detach", pool, name, "c1", "--project", project);
  }
}

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
  queryWrite("PUT", `/1.0/profiles/default${q}`, { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } });
  incus("image", "import", BUSYBOX_TARBALL, "--project", project, "--alias", BUSYBOX_ALIAS);
  incus("storage", "create", otherPool, "dir");
  incus("launch", BUSYBOX_ALIAS, "c1", "--project", project);
  // The source: a file written by the container, a snapshot of it, then new content.
  incus("storage", "volume", "create", "default", "vsrc", "size=20MiB", "user.origin=src", "--project", project);
  incus("storage", "volume", "attach", "default", "vsrc", "c1", "/mnt/vsrc", "--project", project);
  sh("echo snapshot-content > /mnt/vsrc/marker");
  incus("storage", "volume", "snapshot", "create", "default", "vsrc", "snap1", "--project", project);
  sh("echo live-content > /mnt/vsrc/marker");
  incus("storage", "volume", "detach", "default", "vsrc", "c1", "--project", project);
  incus("storage", "volume", "export", "default", "vsrc", backup, "--volume-only", "--project", project);
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const url of query<string[]>(`/1.0/storage-pools/${otherPool}/volumes/custom${q}`) ?? []) queryWrite("DELETE", `${url.split("?")[0]}${q}`);
  dropProject(project);
  dropIfPresent(`/1.0/storage-pools/${otherPool}`);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("a copy of a volume", () => {
  const r = new Resource("StorageVolume", { name: "copy1", project, pool: "default", description: "a copy", copyFrom: { volume: "vsrc" } });

  it("create copies the volume (content and config), not its snapshots", async () => {
    log.take();
    await r.create();
    expect(log.takeWrites()).toEqual([`POST /1.0/storage-pools/default/volumes/custom${q}`]);
    expect(query<State>(vol("default", "copy1"))).toMatchObject({ description: "a copy", config: { size: "20MiB", "user.origin": "src" } });
    expect(marker("default", "copy1")).toBe("live-content");
    expect(query<string[]>(`/1.0/storage-pools/default/volumes/custom/copy1/snapshots${q}`)).toEqual([]);
  });

  it("a second up sends no write: the config the copy brought is the server's", async () => {
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("its own fields change in place; a key the program names becomes its own", async () => {
    expect(await r.up({ ...r.args, description: "changed", config: { "user.origin": "mine" } })).toEqual({ changes: true });
    expect(query<State>(vol("default", "copy1"))).toMatchObject({ description: "changed", config: { size: "20MiB", "user.origin": "mine" } });
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    // Dropped from the program: the key goes (it is the program's now), the copied size stays the server's.
    const { config: _c, ...rest } = r.args;
    expect(await r.up(rest)).toEqual({ changes: true });
    const config = query<{ config: Record<string, string> }>(vol("default", "copy1"))!.config;
    expect(config.size).toBe("20MiB");
    expect(config["user.origin"]).toBeUndefined();
  });

  it("another source replaces the volume", async () => {
    expect(await r.diff({ ...r.args, copyFrom: { volume: "vsrc", snapshot: "snap1" } })).toEqual({
      changes: true,
      replaces: ["copyFrom"],
      deleteBeforeReplace: true,
    });
    expect(await r.diff({ ...r.args, copyFrom: undefined, importFile: backup })).toMatchObject({ changes: true, replaces: ["importFile"] });
  });

  it("delete removes the copy and leaves the source", async () => {
    await r.delete();
    expect(query(vol("default", "copy1"))).toBeUndefined();
    expect(query(vol("default", "vsrc"))).toBeDefined();
  });
});

describe("a copy of a snapshot, into another pool", () => {
  const r = new Resource("StorageVolume", {
    name: "fromsnap",
    project,
    pool: otherPool,
    copyFrom: { volume: "vsrc", snapshot: "snap1", pool: "default" },
    config: { "user.copy": "1" },
  });

  it("create has the snapshot's content, with the program's config on top of the source's", async () => {
    await r.create();
    expect(marker(otherPool, "fromsnap")).toBe("snapshot-content");
    expect(query<State>(vol(otherPool, "fromsnap"))).toMatchObject({ config: { "user.copy": "1" } });
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("a source that does not exist fails with Incus's reason and leaves nothing", async () => {
    const bad = new Resource("StorageVolume", { name: "nosrc", project, pool: "default", copyFrom: { volume: "vsrc", snapshot: "nope" } });
    expect((await rejection(bad.create())).message).toMatch(/StorageVolume "nosrc" in project ".*": .*not found/i);
    expect(query(vol("default", "nosrc"))).toBeUndefined();
  });

  it("delete", async () => {
    await r.delete();
    expect(query(vol(otherPool, "fromsnap"))).toBeUndefined();
  });
});

describe("an import of a backup file", () => {
  const r = new Resource("StorageVolume", { name: "imported", project, pool: "default", description: "from backup", importFile: backup });

  it("bad input is named at check, before any request", async () => {
    log.take();
    const res = await engineFor("StorageVolume").check({}, { name: "x", project, pool: "default", importFile: path.join(scratch, "missing.tar.gz") });
    expect(res.failures).toEqual([{ property: "importFile", reason: "importFile: no such file" }]);
    expect(log.take()).toEqual([]);
  });

  it("create uploads the backup: the volume has its content and config, and the program's description", async () => {
    log.take();
    await r.create();
    expect(log.takeWrites()).toEqual([`POST /1.0/storage-pools/default/volumes/custom${q}`, `PUT /1.0/storage-pools/default/volumes/custom/imported${q}`]);
    expect(query<State>(vol("default", "imported"))).toMatchObject({ description: "from backup", config: { size: "20MiB", "user.origin": "src" } });
    expect(marker("default", "imported")).toBe("live-content");
  });

  it("a second up sends no write", async () => {
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("the name taken: refused before the upload", async () => {
    const again = new Resource("StorageVolume", { name: "imported", project, pool: "default", importFile: backup });
    log.take();
    expect((await rejection(again.create())).message).toMatch(/it already exists; set `adopt: true`/);
    expect(log.takeWrites()).toEqual([]);
  });

  it("adopt takes an existing volume over without an upload", async () => {
    const adopted = new Resource("StorageVolume", { name: "imported", project, pool: "default", importFile: backup, description: "adopted", adopt: true });
    log.take();
    await adopted.create();
    expect(log.takeWrites()).toEqual([`PUT /1.0/storage-pools/default/volumes/custom/imported${q}`]);
    expect(query<State>(vol("default", "imported"))).toMatchObject({ description: "adopted" });
    await adopted.delete();
    expect(query(vol("default", "imported"))).toBeUndefined();
  });
});
