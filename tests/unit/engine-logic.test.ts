// The engine's pure decisions, on hand-made live objects shaped like what Incus 6.0.4 returns: which fields
// differ, what a PUT carries, how a preview describes a change, and the replace/rename decisions that need no read.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KindEngine, type KindName, kinds, UNKNOWN } from "pulumi-incus/provider";
import { FieldModel } from "../../provider/engine/fields";

type State = Record<string, unknown>;
const engine = (kind: KindName) => new KindEngine(kinds[kind] as any);
/** The field model's answers, each from what the program wants (news, and olds: the stored state) as the engine asks. */
const model = (kind: KindName) => {
  const m = new FieldModel(kinds[kind] as any);
  return {
    changedFields: (news: State, live: State, olds?: State) => m.changed(m.want(news, olds), live),
    putBody: (news: State, live: State, olds?: State) => m.body(m.want(news, olds), live),
    describeChanges: (news: State, live: State, fields: string[], olds?: State) => m.describe(m.want(news, olds), live, fields),
  };
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pi-logic-"));
const requestLog = path.join(tmp, "requests.log");
const saved = { socket: process.env.INCUS_SOCKET, log: process.env.PULUMI_INCUS_REQUEST_LOG };
beforeAll(() => {
  process.env.INCUS_SOCKET = path.join(tmp, "no-such.socket");
  process.env.PULUMI_INCUS_REQUEST_LOG = requestLog;
});
afterAll(() => {
  process.env.INCUS_SOCKET = saved.socket;
  if (saved.socket === undefined) delete process.env.INCUS_SOCKET;
  process.env.PULUMI_INCUS_REQUEST_LOG = saved.log;
  if (saved.log === undefined) delete process.env.PULUMI_INCUS_REQUEST_LOG;
});
afterEach(() => expect(fs.existsSync(requestLog)).toBe(false)); // none of this may talk to Incus

// Live objects as Incus returns them (trimmed to what matters).
const liveInstance = (over: State = {}): State => ({
  name: "c1",
  type: "container",
  status: "Running",
  architecture: "x86_64",
  stateful: false,
  ephemeral: false,
  description: "set by hand",
  profiles: ["default"],
  config: {
    "image.os": "busybox",
    "volatile.base_image": "575e0dd4",
    "volatile.idmap.base": "0",
    "volatile.uuid": "f0c1",
    "limits.cpu": "1",
  },
  devices: {},
  expanded_config: { "limits.cpu": "1", "limits.memory": "1GiB" },
  ...over,
});
const liveProject = (config: State = {}, description = ""): State => ({
  name: "p",
  description,
  config: { "features.images": "true", "features.profiles": "true", "features.storage.volumes": "true", "features.storage.buckets": "true", ...config },
  used_by: ["/1.0/profiles/default?project=p"],
});
const liveNetwork = (config: State = {}): State => ({
  name: "br0",
  type: "bridge",
  managed: true,
  description: "",
  config: { "ipv4.address": "none", "ipv6.address": "none", ...config },
});
const livePool = (config: State = {}): State => ({
  name: "pool",
  driver: "dir",
  description: "",
  status: "Created",
  config: { source: "/var/lib/incus/storage-pools/pool", ...config },
});

describe("changedFields", () => {
  it("ignores server keys the program does not set (volatile.*, image.*, features.*, source, keys learnt at create)", () => {
    expect(model("Instance").changedFields({ config: { "limits.cpu": "1" } }, liveInstance())).toEqual({ update: [], replace: [] });
    expect(model("Project").changedFields({ config: {} }, liveProject())).toEqual({ update: [], replace: [] });
    expect(model("StoragePool").changedFields({ config: {} }, livePool())).toEqual({ update: [], replace: [] });
    // ipv4.nat was filled in by the server when it created the network (learnt then, stored in state).
    const learnt = { __serverFilled: { config: { "ipv4.address": null, "ipv4.nat": null } } };
    expect(model("Network").changedFields({ config: { "ipv6.address": "none" } }, liveNetwork({ "ipv4.nat": "true" }), learnt)).toEqual({
      update: [],
      replace: [],
    });
  });

  it("compares a server key the program sets", () => {
    expect(model("Project").changedFields({ config: { "features.images": "false" } }, liveProject()).update).toEqual(["config"]);
    expect(
      model("Network").changedFields({ config: { "ipv4.nat": "false" } }, liveNetwork({ "ipv4.nat": "true" }), {
        __serverFilled: { config: { "ipv4.nat": null } },
      }).update,
    ).toEqual(["config"]);
    expect(model("StoragePool").changedFields({ config: { source: "/srv/other" } }, livePool()).update).toEqual(["config"]);
  });

  it("detects a key someone added by hand, and a key the program stopped setting", () => {
    expect(model("Profile").changedFields({ config: { "limits.cpu": "2" } }, { config: { "limits.cpu": "2", "user.hand": "x" } }).update).toEqual(["config"]);
    expect(model("Instance").changedFields({ config: {} }, liveInstance()).update).toEqual(["config"]); // limits.cpu is no longer wanted
    expect(model("Profile").changedFields({ devices: {} }, { devices: { eth0: { type: "nic", network: "br0" } } }).update).toEqual(["devices"]);
  });

  it("ignores fields the program does not manage", () => {
    // description, profiles, devices and ephemeral are absent from the inputs: whatever the server has is fine.
    expect(model("Instance").changedFields({ name: "c1", image: "busybox" }, liveInstance({ description: "x", profiles: ["a", "b"] }))).toEqual({
      update: [],
      replace: [],
    });
    expect(model("Profile").changedFields({ name: "web" }, { description: "hand", config: { a: "1" }, devices: { d: { type: "none" } } })).toEqual({
      update: [],
      replace: [],
    });
  });

  it("treats a missing live value as the field's empty value", () => {
    expect(model("Profile").changedFields({ description: "", config: {}, devices: {} }, { name: "web" })).toEqual({ update: [], replace: [] });
    expect(model("StorageVolume").changedFields({ contentType: "filesystem" }, {})).toEqual({ update: [], replace: [] });
  });

  it("keeps profile order significant", () => {
    expect(model("Instance").changedFields({ profiles: ["a", "b"] }, liveInstance({ profiles: ["b", "a"] })).update).toEqual(["profiles"]);
  });

  it("sorts fields Incus cannot change into replace, reading the API's field names", () => {
    expect(model("Instance").changedFields({ type: "virtual-machine" }, liveInstance())).toEqual({ update: [], replace: ["type"] });
    expect(model("StorageVolume").changedFields({ contentType: "block", description: "d" }, { content_type: "filesystem", description: "" })).toEqual({
      update: ["description"],
      replace: ["contentType"],
    });
    expect(model("StorageVolume").changedFields({ contentType: "block" }, { content_type: "block" })).toEqual({ update: [], replace: [] });
    expect(model("StoragePool").changedFields({ driver: "zfs" }, livePool())).toEqual({ update: [], replace: ["driver"] });
    expect(model("Network").changedFields({ type: "macvlan" }, liveNetwork())).toEqual({ update: [], replace: ["type"] });
  });

  it("counts a field holding an unknown value as changed", () => {
    expect(model("Profile").changedFields({ config: { "limits.cpu": UNKNOWN } }, { config: { "limits.cpu": "2" } }).update).toEqual(["config"]);
  });
});

describe("putBody", () => {
  it("instance: carries volatile.*, image.*, architecture and stateful over, and echoes unmanaged fields", () => {
    const body = model("Instance").putBody({ name: "c1", config: { "limits.cpu": "2", "user.new": "x" } }, liveInstance());
    expect(body).toEqual({
      architecture: "x86_64",
      stateful: false,
      description: "set by hand",
      profiles: ["default"],
      ephemeral: false,
      devices: {},
      config: {
        "image.os": "busybox",
        "volatile.base_image": "575e0dd4",
        "volatile.idmap.base": "0",
        "volatile.uuid": "f0c1",
        "limits.cpu": "2",
        "user.new": "x",
      },
    });
  });

  it("project: repeats every features.* key, drops keys the program no longer sets, keeps the live description", () => {
    const body = model("Project").putBody({ config: { "limits.containers": "3" } }, liveProject({ "user.hand": "x" }, "by hand"));
    expect(body).toEqual({
      description: "by hand",
      config: {
        "features.images": "true",
        "features.profiles": "true",
        "features.storage.volumes": "true",
        "features.storage.buckets": "true",
        "limits.containers": "3",
      },
    });
  });

  it("storage pool: keeps the driver's source and never sends the driver", () => {
    expect(model("StoragePool").putBody({ driver: "dir", description: "d", config: { "rsync.bwlimit": "10" } }, livePool())).toEqual({
      description: "d",
      config: { source: "/var/lib/incus/storage-pools/pool", "rsync.bwlimit": "10" },
    });
  });

  it("network: keeps a server-set ipv4.nat unless the program sets it", () => {
    const live = liveNetwork({ "ipv4.nat": "true" });
    const learnt = { __serverFilled: { config: { "ipv4.nat": null, "ipv6.address": null } } };
    expect(model("Network").putBody({ config: { "ipv4.address": "none" } }, live, learnt).config).toEqual({
      "ipv4.address": "none",
      "ipv6.address": "none",
      "ipv4.nat": "true",
    });
    expect(model("Network").putBody({ config: { "ipv4.address": "none", "ipv4.nat": "false" } }, live, learnt).config).toEqual({
      "ipv4.address": "none",
      "ipv6.address": "none",
      "ipv4.nat": "false",
    });
  });

  it("image: keeps expires_at and properties from metadata.yaml, overrides the ones the program sets", () => {
    const live = {
      public: false,
      auto_update: false,
      profiles: ["default"],
      expires_at: "0001-01-01T00:00:00Z",
      properties: { os: "busybox", release: "1" },
      aliases: [],
    };
    const learnt = { __serverFilled: { properties: { os: null, release: null } } };
    expect(model("Image").putBody({ public: true, properties: { release: "2" } }, live, learnt)).toEqual({
      public: true,
      auto_update: false,
      profiles: ["default"],
      expires_at: "0001-01-01T00:00:00Z",
      properties: { os: "busybox", release: "2" },
    });
  });

  it("volume: uses the API's field names and leaves replace-only fields out", () => {
    const body = model("StorageVolume").putBody(
      { contentType: "filesystem", description: "new" },
      { content_type: "filesystem", description: "old", config: { size: "1GiB" } },
    );
    expect(body).toEqual({ description: "new", config: { size: "1GiB" } });
  });
});

describe("describeChanges (the preview's lines)", () => {
  it("lists each config key that differs, in the program's terms", () => {
    const lines = model("Profile").describeChanges(
      { config: { "limits.cpu": "2", "limits.memory": "1GiB" }, description: "web" },
      { config: { "limits.cpu": "1", "user.hand": "x" }, description: "" },
      ["config", "description"],
    );
    expect(lines.sort()).toEqual(
      [
        'config["limits.cpu"]: server has "1", program wants "2"',
        'config["limits.memory"]: server has unset, program wants "1GiB"',
        'config["user.hand"]: server has "x", program wants unset',
        'description: server has "", program wants "web"',
      ].sort(),
    );
  });

  it("mentions a server key only when the program sets it", () => {
    const lines = model("Network").describeChanges(
      { config: { "ipv4.address": "none" } },
      liveNetwork({ "ipv4.address": "10.1.1.1/24", "ipv4.nat": "true" }),
      ["config"],
      {
        __serverFilled: { config: { "ipv4.address": null, "ipv4.nat": null, "ipv6.address": null } },
      },
    );
    expect(lines).toEqual([`config["ipv4.address"]: server has "10.1.1.1/24", program wants "none"`]);
  });

  it("shows whole values for fields that are not maps", () => {
    expect(model("Instance").describeChanges({ profiles: ["a"], type: "virtual-machine" }, liveInstance(), ["profiles", "type"])).toEqual([
      'profiles: server has ["default"], program wants ["a"]',
      'type: server has "container", program wants "virtual-machine"',
    ]);
  });
});

describe("diff decisions made before reading the server", () => {
  const diff = (kind: KindName, olds: State, news: State) => engine(kind).diff("id", olds, news);

  it("another project replaces; with the same name the old object is deleted first", async () => {
    expect(await diff("Profile", { name: "web", project: "a" }, { name: "web", project: "b" })).toEqual({
      changes: true,
      replaces: ["project"],
      deleteBeforeReplace: true,
    });
    // A new name as well: both can exist at once, so create-then-delete.
    expect(await diff("Profile", { name: "web", project: "a" }, { name: "web2", project: "b" })).toEqual({
      changes: true,
      replaces: ["project"],
      deleteBeforeReplace: false,
    });
  });

  it("another remote replaces", async () => {
    expect(await diff("Network", { name: "br0", project: "default" }, { name: "br0", project: "default", remote: "other" })).toMatchObject({
      replaces: ["remote"],
    });
  });

  it("a new name replaces kinds Incus cannot rename (storage pool), without deleting first", async () => {
    expect(await diff("StoragePool", { name: "a", driver: "dir" }, { name: "b", driver: "dir" })).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: false,
    });
  });

  it("an unknown new name replaces even renamable kinds (the preview cannot know it is a rename)", async () => {
    expect(await diff("Profile", { name: "web", project: "p" }, { name: UNKNOWN, project: "p" })).toEqual({
      changes: true,
      replaces: ["name"],
      deleteBeforeReplace: false,
    });
  });

  it("identity fields replace: a volume's pool, an instance's image, an image's content", async () => {
    expect(await diff("StorageVolume", { name: "v", pool: "a", project: "p" }, { name: "v", pool: "b", project: "p" })).toEqual({
      changes: true,
      replaces: ["pool"],
      deleteBeforeReplace: true,
    });
    expect(await diff("Instance", { name: "c1", image: "busybox", project: "p" }, { name: "c1", image: "alpine", project: "p" })).toEqual({
      changes: true,
      replaces: ["image"],
      deleteBeforeReplace: true,
    });
    expect(
      await diff("Image", { name: "i", file: "/a.tar.gz", fingerprint: "aa", project: "p" }, { name: "i", file: "/a.tar.gz", fingerprint: "bb", project: "p" }),
    ).toEqual({
      changes: true,
      replaces: ["fingerprint"],
      deleteBeforeReplace: true,
    });
  });

  it("a project that is still unknown (a preview's raw inputs) is not a change", async () => {
    // Inputs check returned unchanged because of an unknown value carry no project; only the unknown name counts.
    expect(await diff("Profile", { name: "web", project: "p" }, { name: UNKNOWN })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });
});

describe("storage bucket keys", () => {
  const liveKey = (over: State = {}): State => ({ name: "k", description: "", role: "read-only", "access-key": "AK1", "secret-key": "live-secret-1", ...over });

  it("every PUT carries the live key pair (a PUT without it makes new keys)", () => {
    expect(model("StorageBucketKey").putBody({ name: "k", pool: "default", bucket: "b", role: "admin" }, liveKey())).toEqual({
      description: "",
      role: "admin",
      "access-key": "AK1",
      "secret-key": "live-secret-1",
    });
  });

  it("a drifting secret key is named without its value, even when the program did not mark it secret", () => {
    const news = { name: "k", pool: "default", bucket: "b", secretKey: "program-secret-2" };
    const e = model("StorageBucketKey");
    expect(e.changedFields(news, liveKey())).toEqual({ update: ["secretKey"], replace: [] });
    const lines = e.describeChanges(news, liveKey(), ["secretKey"]).join("\n");
    expect(lines).toBe("secretKey: the server's value differs from the program's (secret, not shown)");
  });

  it("a dropped role goes back to read-only; dropped keys stay as they are", () => {
    const olds = { name: "k", pool: "default", bucket: "b", role: "admin", accessKey: "AK1", secretKey: "live-secret-1" };
    const body = model("StorageBucketKey").putBody({ name: "k", pool: "default", bucket: "b" }, liveKey({ role: "admin" }), olds);
    expect(body).toMatchObject({ role: "read-only", "access-key": "AK1", "secret-key": "live-secret-1" });
  });
});
