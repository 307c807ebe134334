// StorageBucket and StorageBucketKey against a private daemon: Incus 6.0 serves a dir pool's buckets through a MinIO
// server it runs itself, so that daemon has minio and mc (scripts/setup-minio.sh) first on its PATH. The shared daemon
// is never touched: every CLI call and query here goes through the private daemon's own INCUS_DIR (FaultDaemon).
import { engineFor, IncusClient } from "pulumi-incus/provider";
import { FaultDaemon } from "../faults/daemon";
import { closeConnections, rand, rejection, requestLog, Resource } from "./kinds-harness";

jest.setTimeout(120_000);

type State = Record<string, unknown>;

let daemon: FaultDaemon | undefined;
const project = `pit-bucket-${rand()}`;
const q = `?project=${project}`;
const S3_PORT = 20000 + Math.floor(Math.random() * 20000);
const bucketPath = (name: string) => `/1.0/storage-pools/default/buckets/${name}`;
const keyPath = (bucket: string, name: string) => `${bucketPath(bucket)}/keys/${name}`;
const log = requestLog();

/** The incus CLI and `incus query` against the private daemon only (never the shared one). */
const incus = (...args: string[]): string => {
  if (!daemon) throw new Error("the private daemon is not running");
  return daemon.incus(...args);
};
const query = <T = any>(apiPath: string): T | undefined => daemon?.query<T>(apiPath) ?? undefined;

let socket = "";
/** Inputs on the private daemon: never without its socket (the default would be the shared daemon). */
const at = (args: State) => {
  if (!socket) throw new Error("the private daemon's socket is not known yet");
  return { project, socket, ...args };
};

beforeAll(async () => {
  daemon = new FaultDaemon("bucket-int", { buckets: true, image: false });
  await daemon.create();
  socket = daemon.socket;
  // A private daemon: its server config is ours to set. The address gives buckets an s3_url (loopback only).
  incus("config", "set", "core.storage_buckets_address", `127.0.0.1:${S3_PORT}`);
  incus("project", "create", project, "-c", "features.storage.buckets=true");
}, 45 * 60_000);

afterAll(async () => {
  log.restore();
  await closeConnections();
  await daemon?.destroy();
}, 180_000);

describe("StorageBucket", () => {
  let bucket: Resource;
  beforeAll(() => {
    bucket = new Resource("StorageBucket", at({ name: "pit-data", pool: "default", description: "tests", config: { "user.tier": 1, "user.keep": "yes" } }));
  });

  it("create makes the bucket with string config and reports its S3 address", async () => {
    const outs = await bucket.create();
    expect(bucket.id).toBe(`${bucketPath("pit-data")}${q}`);
    expect(outs).toMatchObject({ name: "pit-data", project, location: "none", s3Url: `https://127.0.0.1:${S3_PORT}/pit-data` });
    expect(query(`${bucketPath("pit-data")}${q}`)).toMatchObject({ description: "tests", config: { "user.tier": "1", "user.keep": "yes" }, project });
  });

  it("updates description and config in place (one PUT)", async () => {
    log.take();
    expect(await bucket.up({ ...bucket.args, description: "tests 2", config: { "user.tier": 2, "user.keep": "yes" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT ${bucketPath("pit-data")}${q}`]);
    expect(query(`${bucketPath("pit-data")}${q}`)).toMatchObject({ description: "tests 2", config: { "user.tier": "2", "user.keep": "yes" } });
  });

  it("a field or key the program drops is reset", async () => {
    const { description: _d, ...rest } = bucket.args;
    await bucket.up({ ...rest, config: { "user.tier": 2 } });
    const live = query(`${bucketPath("pit-data")}${q}`);
    expect(live.description).toBe("");
    expect(live.config).toEqual({ "user.tier": "2" });
  });

  it("bad input is named at check, before any request", async () => {
    log.take();
    const engine = engineFor("StorageBucket");
    const bad = await engine.check({}, at({ name: "Bad_Name", pool: "default" }));
    expect(bad.failures).toEqual([expect.objectContaining({ property: "name", reason: expect.stringMatching(/^name: .*S3 bucket name/) })]);
    const short = await engine.check({}, at({ name: "ab", pool: "default" }));
    expect(short.failures?.[0]).toMatchObject({ property: "name" });
    const typo = await engine.check({}, at({ name: "okname", pool: "default", descripton: "x" }));
    expect(typo.failures?.[0]?.reason).toMatch(/did you mean `description`/);
    expect(log.take()).toEqual([]);
  });

  it("adopt: fails clearly without it; takes over a matching bucket without writing", async () => {
    incus("storage", "bucket", "create", "default", "pit-made", "user.x=1", "--project", project);
    const args = at({ name: "pit-made", pool: "default", config: { "user.x": "1" } });
    const err = await rejection(new Resource("StorageBucket", args).create());
    expect(err.message).toMatch(/^StorageBucket "pit-made" in project ".*": it already exists; set `adopt: true`/);
    log.take();
    const adopted = new Resource("StorageBucket", { ...args, adopt: true });
    await adopted.create();
    expect(log.takeWrites()).toEqual([]);
    await adopted.delete();
    expect(query(`${bucketPath("pit-made")}${q}`)).toBeUndefined();
  });

  it("its PUT ignores If-Match, so the write is guarded by comparing before writing: another writer's key is kept", async () => {
    incus("storage", "bucket", "create", "default", "pit-guard", "--project", project);
    const client = new IncusClient({ kind: "unix", socketPath: socket, defaultProject: project });
    const p = bucketPath("pit-guard");
    // Control: Incus really applies a PUT with a stale If-Match.
    await client.put(p, { description: "stale etag accepted", config: {} }, { etag: '"stale"' });
    expect(query(`${p}${q}`).description).toBe("stale etag accepted");
    let builds = 0;
    const res = await client.update<{ config: Record<string, string> }>(
      p,
      (live) => {
        // Someone else writes between our read and our write (the first time only).
        if (builds++ === 0) incus("storage", "bucket", "set", "default", "pit-guard", "user.other=1", "--project", project);
        return { description: "ours", config: { ...live.config, "user.ours": "1" } };
      },
      { compareBeforeWrite: true },
    );
    expect(res).toEqual({ written: true, attempts: 2 });
    expect(query(`${p}${q}`)).toMatchObject({ description: "ours", config: { "user.other": "1", "user.ours": "1" } });
    incus("storage", "bucket", "delete", "default", "pit-guard", "--project", project);
  });
});

describe("StorageBucketKey", () => {
  beforeAll(() => {
    incus("storage", "bucket", "create", "default", "pit-keys", "--project", project);
  });

  const noSecret = (texts: string[], secret: string) => {
    expect(secret.length).toBeGreaterThan(8);
    for (const t of texts) expect(t).not.toContain(secret);
  };

  it("a generated key: outputs the keys Incus made up; a second up sends no write; a role change keeps both keys", async () => {
    const key = new Resource("StorageBucketKey", at({ name: "reader", pool: "default", bucket: "pit-keys", description: "ro" }));
    const outs = await key.create();
    expect(key.id).toBe(`${keyPath("pit-keys", "reader")}${q}`);
    const live = query(`${keyPath("pit-keys", "reader")}${q}`);
    expect(live).toMatchObject({ role: "read-only", description: "ro" });
    expect(outs).toMatchObject({ accessKey: live["access-key"], secretKey: live["secret-key"] });
    log.take();
    expect(await key.up()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    expect(await key.up({ ...key.args, role: "admin" })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT ${keyPath("pit-keys", "reader")}${q}`]);
    expect(query(`${keyPath("pit-keys", "reader")}${q}`)).toMatchObject({ role: "admin", "access-key": live["access-key"], "secret-key": live["secret-key"] });
    // Dropping role and description resets them (read-only, empty), still with the same keys.
    await key.up(at({ name: "reader", pool: "default", bucket: "pit-keys" }));
    expect(query(`${keyPath("pit-keys", "reader")}${q}`)).toMatchObject({
      role: "read-only",
      description: "",
      "access-key": live["access-key"],
      "secret-key": live["secret-key"],
    });
    await key.delete();
    expect(query(`${keyPath("pit-keys", "reader")}${q}`)).toBeUndefined();
  });

  it("given keys are set; a new secret key is an update; drift of the secret key shows without its value and is reverted", async () => {
    const secret = `s3cret-${rand()}-${rand()}`;
    const key = new Resource(
      "StorageBucketKey",
      at({ name: "writer", pool: "default", bucket: "pit-keys", role: "admin", accessKey: `acc${rand()}`, secretKey: secret }),
    );
    const outs = await key.create();
    expect(outs).toMatchObject({ secretKey: secret, role: "admin" });
    expect(query(`${keyPath("pit-keys", "writer")}${q}`)).toMatchObject({ "access-key": key.args.accessKey, "secret-key": secret });
    const secret2 = `${secret}-2`;
    expect(await key.up({ ...key.args, secretKey: secret2 })).toEqual({ changes: true });
    noSecret(key.printed, secret2);
    expect(key.printed.join("\n")).toMatch(/secretKey: the server's value differs from the program's \(secret, not shown\)/);
    expect(query(`${keyPath("pit-keys", "writer")}${q}`)["secret-key"]).toBe(secret2);
    // Someone puts another secret key on it by hand.
    const hand = `hand-${rand()}-${rand()}`;
    incus(
      "query",
      "-X",
      "PUT",
      "-d",
      JSON.stringify({ role: "admin", description: "", "access-key": key.args.accessKey, "secret-key": hand }),
      `${keyPath("pit-keys", "writer")}${q}`,
    );
    expect(await key.diff()).toEqual({ changes: true });
    noSecret(key.printed, hand);
    noSecret(key.printed, secret2);
    await key.up();
    expect(query(`${keyPath("pit-keys", "writer")}${q}`)["secret-key"]).toBe(secret2);
    await key.delete();
  });

  it("an error from Incus never shows the secret key (mc's command line carries it)", async () => {
    const taken = new Resource("StorageBucketKey", at({ name: "first", pool: "default", bucket: "pit-keys", accessKey: `dup${rand()}` }));
    await taken.create();
    const secret = `never-shown-${rand()}-${rand()}`;
    const err = await rejection(
      new Resource(
        "StorageBucketKey",
        at({ name: "second", pool: "default", bucket: "pit-keys", accessKey: taken.args.accessKey, secretKey: secret }),
      ).create(),
    );
    expect(err.message).toMatch(/^StorageBucketKey "second" in project ".*": /);
    expect(err.message).toContain("[secret]");
    noSecret([err.message, err.stack ?? ""], secret);
    await taken.delete();
  });

  it("adopt takes over an existing key and keeps its keys; bad input is named at check", async () => {
    incus("storage", "bucket", "key", "create", "default", "pit-keys", "made", "--role", "admin", "--project", project);
    const live = query(`${keyPath("pit-keys", "made")}${q}`);
    log.take();
    const adopted = new Resource("StorageBucketKey", at({ name: "made", pool: "default", bucket: "pit-keys", role: "admin", adopt: true }));
    const outs = await adopted.create();
    expect(log.takeWrites()).toEqual([]);
    expect(outs).toMatchObject({ accessKey: live["access-key"], secretKey: live["secret-key"] });
    await adopted.delete();
    const engine = engineFor("StorageBucketKey");
    const bad = await engine.check({}, at({ name: "k", pool: "default", bucket: "pit-keys", role: "owner" }));
    expect(bad.failures).toEqual([expect.objectContaining({ property: "role" })]);
    const noBucket = await engine.check({}, at({ name: "k", pool: "default" }));
    expect(noBucket.failures).toEqual([expect.objectContaining({ property: "bucket", reason: "bucket: required" })]);
  });

  it("get(id) reads a key by its API path, parents included", async () => {
    incus("storage", "bucket", "key", "create", "default", "pit-keys", "looked", "--project", project);
    const res = await engineFor("StorageBucketKey").read(`${keyPath("pit-keys", "looked")}${q}`, { socket } as State);
    expect(res.props).toMatchObject({ name: "looked", bucket: "pit-keys", pool: "default", project, role: "read-only" });
    incus("storage", "bucket", "key", "delete", "default", "pit-keys", "looked", "--project", project);
  });
});

describe("Project.deleteContents", () => {
  it("deletes the project's buckets (their keys go with them) and then the project", async () => {
    const other = `${project}-all`;
    const p = new Resource("Project", { name: other, socket, config: { "features.storage.buckets": true }, deleteContents: true });
    await p.create();
    incus("storage", "bucket", "create", "default", "pit-inside", "--project", other);
    incus("storage", "bucket", "key", "create", "default", "pit-inside", "k1", "--project", other);
    await p.delete();
    expect(query(`/1.0/projects/${other}`)).toBeUndefined();
    expect(query(`${bucketPath("pit-inside")}?project=${other}`)).toBeUndefined();
  });
});
