// Storage pool CRUD against the real daemon: `dir` pools (global) with random names. The driver fills in
// `source`, which the program never sets and every PUT must carry over.
import { closeConnections, dropIfPresent, incus, query, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

const name = `pit-pool-${rand()}`;
const renamed = `${name}-r`;
const adoptName = `pit-pool-adopt-${rand()}`;
const log = requestLog();
const sourceOf = (pool: string) => `/var/lib/incus/storage-pools/${pool}`;

afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const n of [name, renamed, adoptName]) dropIfPresent(`/1.0/storage-pools/${n}`);
});

describe("life cycle", () => {
  const pool = new Resource("StoragePool", { name, driver: "dir", description: "tests", config: { "rsync.bwlimit": 10 } });

  it("create makes the pool; the driver fills in source", async () => {
    const outs = await pool.create();
    expect(pool.id).toBe(`/1.0/storage-pools/${name}`);
    expect(outs).toMatchObject({ name, driver: "dir", status: "Created", source: sourceOf(name), usedBy: [] });
    expect(outs).not.toHaveProperty("project");
    expect(query(`/1.0/storage-pools/${name}`)).toMatchObject({
      driver: "dir",
      description: "tests",
      config: { "rsync.bwlimit": "10", source: sourceOf(name) },
    });
  });

  it("diff right after create reports no change (source is the server's) and only reads", async () => {
    log.take();
    expect(await pool.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/storage-pools/${name}`]);
  });

  it("updates config and description in place, keeping source", async () => {
    log.take();
    expect(await pool.up({ ...pool.args, description: "tests 2", config: { "rsync.bwlimit": "20", "rsync.compression": "false" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/storage-pools/${name}`]);
    expect(query(`/1.0/storage-pools/${name}`)).toMatchObject({
      description: "tests 2",
      config: { "rsync.bwlimit": "20", "rsync.compression": "false", source: sourceOf(name) },
    });
  });

  it("a new driver is a replacement that deletes first (same name)", async () => {
    expect(await pool.diff({ ...pool.args, driver: "btrfs" })).toEqual({ changes: true, replaces: ["driver"], deleteBeforeReplace: true });
  });

  it("drift by hand shows in diff and up reverts it, source untouched", async () => {
    incus("storage", "set", name, "user.note=hand", "rsync.bwlimit=99");
    expect(await pool.diff()).toEqual({ changes: true });
    expect(pool.printed).toHaveLength(2);
    await pool.up();
    expect(query(`/1.0/storage-pools/${name}`).config).toEqual({ "rsync.bwlimit": "20", "rsync.compression": "false", source: sourceOf(name) });
  });

  it("keeps a description written between diff and update when the program does not manage it", async () => {
    const next = { name, driver: "dir", config: { "rsync.bwlimit": "30" } };
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await pool.up({ ...next, config: pool.state.config as State });
    expect(query(`/1.0/storage-pools/${name}`).description).toBe("");
    expect(await pool.diff(next)).toEqual({ changes: true });
    incus("storage", "set", name, "--property", "description=edited meanwhile");
    await pool.update(next);
    expect(query(`/1.0/storage-pools/${name}`)).toMatchObject({ description: "edited meanwhile", config: { "rsync.bwlimit": "30", source: sourceOf(name) } });
  });

  it("a new name replaces (Incus cannot rename pools): the new pool is made before the old one goes", async () => {
    log.take();
    expect(await pool.up({ ...pool.args, name: renamed })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    const writes = log.takeWrites();
    expect(writes).toEqual([`POST /1.0/storage-pools`, `DELETE /1.0/storage-pools/${name}`]);
    expect(query(`/1.0/storage-pools/${name}`)).toBeUndefined();
    expect(query(`/1.0/storage-pools/${renamed}`)).toMatchObject({ config: { "rsync.bwlimit": "30", source: sourceOf(renamed) } });
  });

  it("read returns {} after an out-of-band delete; delete leaves nothing", async () => {
    expect((await pool.read()).props).toMatchObject({ name: renamed, source: sourceOf(renamed) });
    incus("storage", "delete", renamed);
    expect(await pool.read()).toEqual({});
    await pool.create();
    await pool.delete();
    expect(query(`/1.0/storage-pools/${renamed}`)).toBeUndefined();
  });
});

describe("adopt", () => {
  beforeAll(() => {
    incus("storage", "create", adoptName, "dir");
  });

  it("fails clearly without adopt; adopts a matching pool without writing to it", async () => {
    const err = await rejection(new Resource("StoragePool", { name: adoptName, driver: "dir" }).create());
    expect(err.message).toMatch(new RegExp(`^StoragePool "${adoptName}": it already exists; set \`adopt: true\``));
    log.take();
    const adopted = new Resource("StoragePool", { name: adoptName, driver: "dir", config: {}, adopt: true });
    await adopted.create();
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/storage-pools"))).toEqual([]);
    await adopted.delete();
    expect(query(`/1.0/storage-pools/${adoptName}`)).toBeUndefined();
  });
});
