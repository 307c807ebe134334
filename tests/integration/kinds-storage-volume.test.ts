// Custom storage volume CRUD against the real daemon, in a project of its own (features.storage.volumes on), on
// the `default` dir pool and on a second dir pool made for the move-by-replacement case.
import { closeConnections, dropIfPresent, dropProject, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

const project = `pit-volume-${rand()}`;
const otherPool = `pit-volpool-${rand()}`;
const q = `?project=${project}`;
const vol = (pool: string, name: string) => `/1.0/storage-pools/${pool}/volumes/custom/${name}${q}`;
const log = requestLog();

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
  incus("storage", "create", otherPool, "dir");
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const url of query<string[]>(`/1.0/storage-pools/${otherPool}/volumes/custom${q}`) ?? []) {
    queryWrite("DELETE", `${url.split("?")[0]}${q}`);
  }
  dropProject(project);
  dropIfPresent(`/1.0/storage-pools/${otherPool}`);
});

describe("life cycle", () => {
  const data = new Resource("StorageVolume", { name: "data", project, pool: "default", description: "tests", config: { size: "10MiB", "user.tier": 1 } });

  it("create makes a filesystem volume with string config", async () => {
    const outs = await data.create();
    expect(data.id).toBe(`/1.0/storage-pools/default/volumes/custom/data${q}`);
    expect(outs).toMatchObject({ name: "data", project, location: "none", usedBy: [] });
    expect(outs.createdAt).toMatch(/^\d{4}-/);
    expect(query(vol("default", "data"))).toMatchObject({
      content_type: "filesystem",
      description: "tests",
      config: { size: "10MiB", "user.tier": "1" },
      project,
    });
  });

  it("diff right after create reports no change and only reads", async () => {
    log.take();
    expect(await data.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/storage-pools/default/volumes/custom/data${q}`]);
  });

  it("updates config and description in place", async () => {
    log.take();
    expect(await data.up({ ...data.args, description: "tests 2", config: { size: "20MiB" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/storage-pools/default/volumes/custom/data${q}`]);
    expect(query(vol("default", "data"))).toMatchObject({ description: "tests 2", config: { size: "20MiB" } });
    expect(query(vol("default", "data")).config).not.toHaveProperty("user.tier");
  });

  it("a new name is a rename in place", async () => {
    log.take();
    expect(await data.up({ ...data.args, name: "data2" })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`POST /1.0/storage-pools/default/volumes/custom/data${q}`]);
    expect(query(vol("default", "data"))).toBeUndefined();
    expect(query(vol("default", "data2"))).toMatchObject({ description: "tests 2", config: { size: "20MiB" } });
  });

  it("drift by hand shows in diff and up reverts it", async () => {
    incus("storage", "volume", "set", "default", "data2", "user.note=hand", "size=30MiB", "--project", project);
    expect(await data.diff()).toEqual({ changes: true });
    expect(data.printed).toHaveLength(2);
    await data.up();
    expect(query(vol("default", "data2")).config).toEqual({ size: "20MiB" });
  });

  it("keeps a description written between diff and update when the program does not manage it", async () => {
    const next = { name: "data2", project, pool: "default", config: { size: "25MiB" } };
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await data.up({ ...next, config: data.state.config as State });
    expect(query(vol("default", "data2")).description).toBe("");
    expect(await data.diff(next)).toEqual({ changes: true });
    incus("storage", "volume", "set", "default", "data2", "--property", "description=edited meanwhile", "--project", project);
    await data.update(next);
    expect(query(vol("default", "data2"))).toMatchObject({ description: "edited meanwhile", config: { size: "25MiB" } });
  });

  it("a new content type replaces the volume, deleting first (same name)", async () => {
    log.take();
    const block = { ...data.args, contentType: "block" };
    expect(await data.up(block)).toEqual({ changes: true, replaces: ["contentType"], deleteBeforeReplace: true });
    expect(log.takeWrites()).toEqual([`DELETE /1.0/storage-pools/default/volumes/custom/data2${q}`, `POST /1.0/storage-pools/default/volumes/custom${q}`]);
    expect(query(vol("default", "data2"))).toMatchObject({ content_type: "block", config: { size: "25MiB" } });
  });

  it("another pool replaces the volume, deleting first (same name)", async () => {
    expect(await data.up({ ...data.args, pool: otherPool })).toEqual({ changes: true, replaces: ["pool"], deleteBeforeReplace: true });
    expect(query(vol("default", "data2"))).toBeUndefined();
    expect(query(vol(otherPool, "data2"))).toMatchObject({ content_type: "block" });
    expect(data.id).toBe(`/1.0/storage-pools/${otherPool}/volumes/custom/data2${q}`);
  });

  it("read returns {} after an out-of-band delete; delete leaves nothing", async () => {
    expect((await data.read()).props).toMatchObject({ name: "data2", pool: otherPool });
    incus("storage", "volume", "delete", otherPool, "data2", "--project", project);
    expect(await data.read()).toEqual({});
    await data.create();
    await data.delete();
    expect(query(vol(otherPool, "data2"))).toBeUndefined();
  });
});

describe("adopt", () => {
  beforeAll(() => {
    incus("storage", "volume", "create", "default", "made", "user.x=1", "--project", project);
  });

  it("fails clearly without adopt; adopts a matching volume without writing to it", async () => {
    const args = { name: "made", project, pool: "default", config: { "user.x": "1" } };
    const err = await rejection(new Resource("StorageVolume", args).create());
    expect(err.message).toMatch(/^StorageVolume "made" in project ".*": it already exists; set `adopt: true`/);
    log.take();
    const adopted = new Resource("StorageVolume", { ...args, adopt: true });
    await adopted.create();
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/storage-pools/default/volumes/custom"))).toEqual([]);
    await adopted.delete();
    expect(query(vol("default", "made"))).toBeUndefined();
  });
});
