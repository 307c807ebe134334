// The declarative contract, against the scripted stand-in daemon: what the program stops declaring goes, what it
// never declared stays, "" and null mean "not set", keys the server filled in at create stay the server's,
// provider-only settings are saved, secrets never appear in what the provider prints, default objects are reset.
import { KindEngine, kinds, UNKNOWN } from "pulumi-incus/provider";
import { FakeIncus, fakeIncusForFile } from "./fake-incus";

type State = Record<string, unknown>;
const engine = (kind: keyof typeof kinds) => new KindEngine(kinds[kind] as any);
const profiles = engine("Profile");
const PATH = "/1.0/profiles/web";

const daemon = fakeIncusForFile();
let fake: FakeIncus;
beforeAll(() => {
  fake = daemon.current;
});

const live = (over: State = {}): State => ({ name: "web", description: "", config: {}, devices: {}, used_by: [], ...over });
const state = (over: State = {}): State => ({ name: "web", project: "default", socket: fake.socket, ...over });
const writes = () => fake.requests.filter((r) => r.method !== "GET");

/** Runs fn with console.log captured; returns what was printed. */
async function printed<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const log = jest.spyOn(console, "log").mockImplementation(() => {});
  try {
    const result = await fn();
    return { result, lines: log.mock.calls.map((c) => String(c[0])) };
  } finally {
    log.mockRestore();
  }
}

beforeEach(() => {
  fake.requests.length = 0;
  fake.beforeWrite = undefined;
  fake.remove(PATH);
});

describe("what the program stops declaring goes", () => {
  const before = () => state({ description: "web", config: { "limits.cpu": "2" }, devices: { eth0: { type: "nic", network: "br0" } } });

  beforeEach(() =>
    fake.set(PATH, live({ description: "web", config: { "limits.cpu": "2", "volatile.x": "1" }, devices: { eth0: { type: "nic", network: "br0" } } })),
  );

  it("diff sees fields and keys the stored inputs had and the program dropped", async () => {
    const { result, lines } = await printed(() => profiles.diff(PATH, before(), state()));
    expect(result).toEqual({ changes: true });
    expect(lines.map((l) => l.replace(/^Profile "web" in project "default": /, "")).sort()).toEqual([
      'config["limits.cpu"]: server has "2", program wants unset',
      'description: server has "web", program wants ""',
      'devices["eth0"]: server has {"type":"nic","network":"br0"}, program wants unset',
    ]);
  });

  it("update resets them to Incus's unset, keeps server keys, and the field is unmanaged afterwards", async () => {
    const { outs } = await profiles.update(PATH, before(), state());
    expect(fake.get(PATH)).toMatchObject({ description: "", config: { "volatile.x": "1" }, devices: {} });
    expect(outs.description).toBeUndefined();
    // Set by hand afterwards: no longer the program's business.
    fake.set(PATH, live({ description: "by hand" }));
    fake.requests.length = 0;
    expect(await profiles.diff(PATH, outs, state())).toEqual({ changes: false });
  });

  it("one key dropped from a map goes, the others stay", async () => {
    await profiles.update(PATH, state({ config: { "limits.cpu": "2", "user.a": "1" } }), state({ config: { "user.a": "1" } }));
    expect(fake.get(PATH)?.config).toEqual({ "user.a": "1", "volatile.x": "1" });
  });
});

describe("what the program never declared is left alone", () => {
  it("a hand-set description on an object whose description the program never set", async () => {
    fake.set(PATH, live({ description: "by hand", config: { "limits.cpu": "2" } }));
    const s = state({ config: { "limits.cpu": "2" } });
    expect(await profiles.diff(PATH, s, s)).toEqual({ changes: false });
    expect(writes()).toEqual([]);
  });
});

describe('"" and null mean "not set"', () => {
  it("check drops them, so nothing is compared and nothing is written", async () => {
    const checked = await profiles.check(
      {},
      {
        name: "web",
        project: "default",
        socket: fake.socket,
        description: "",
        config: { "user.e": "", "user.n": null, a: "1" },
        devices: { x: null, root: { type: "disk", path: "/", pool: "default", size: null } },
      },
    );
    expect(checked.failures).toBeUndefined();
    expect(checked.inputs).toMatchObject({ config: { a: "1" }, devices: { root: { type: "disk", path: "/", pool: "default" } } });
    expect(checked.inputs).not.toHaveProperty("description");
    fake.set(PATH, live({ config: { a: "1" }, devices: { root: { type: "disk", path: "/", pool: "default" } } }));
    fake.requests.length = 0;
    expect(await profiles.diff(PATH, checked.inputs!, checked.inputs!)).toEqual({ changes: false });
  });

  it("a key the program managed and now sets to null is removed", async () => {
    fake.set(PATH, live({ config: { a: "1", b: "2" } }));
    const news = (await profiles.check({ name: "web" }, state({ config: { a: "1", b: null } }))).inputs!;
    await profiles.update(PATH, state({ config: { a: "1", b: "2" } }), news);
    expect(fake.get(PATH)?.config).toEqual({ a: "1" });
  });
});

describe("keys the server fills in at create are the server's until the program names them", () => {
  const networks = engine("Network");
  const NET = "/1.0/networks/br9";
  beforeEach(() => fake.remove(NET));

  it("devices the program declared are not learnt as the server's (they are objects, compared whole)", async () => {
    fake.remove(PATH);
    const { outs } = await profiles.create(state({ devices: { eth0: { type: "nic", network: "br0" } }, config: { "limits.cpu": "2" } }));
    expect(outs.__serverFilled).toEqual({});
    fake.remove(PATH);
  });

  it("learnt at create: no PUT after create, no diff later; an address Incus picked for `auto` stays", async () => {
    // The stand-in stores what it is sent; the server's additions are made by the hook, as incusd does.
    fake.beforeWrite = (req) => {
      if (req.method === "POST" && req.path === "/1.0/networks") {
        const body = req.body as State;
        fake.set(NET, {
          ...body,
          type: "bridge",
          managed: true,
          used_by: [],
          config: { ...(body.config as State), "ipv4.address": "10.9.9.1/24", "ipv4.nat": "true" },
        });
        return "handled";
      }
    };
    const inputs = state({ name: "br9", config: { "ipv4.address": "auto", "ipv6.address": "none" } });
    const { outs } = await networks.create(inputs);
    expect(writes().map((r) => r.method)).toEqual(["POST"]);
    expect(outs.__serverFilled).toEqual({ config: { "ipv4.address": "auto", "ipv4.nat": null } });
    fake.requests.length = 0;
    expect(await networks.diff(NET, outs, inputs)).toEqual({ changes: false });
    // Naming a learnt key makes it the program's.
    fake.beforeWrite = undefined;
    const { outs: after } = await networks.update(
      NET,
      outs,
      state({ name: "br9", config: { "ipv4.address": "auto", "ipv6.address": "none", "ipv4.nat": "false" } }),
    );
    expect(fake.get(NET)?.config).toEqual({ "ipv4.address": "10.9.9.1/24", "ipv6.address": "none", "ipv4.nat": "false" });
    expect(after.__serverFilled).toEqual({ config: { "ipv4.address": "auto" } });
    // ... and dropping it afterwards removes it.
    await networks.update(NET, after, state({ name: "br9", config: { "ipv4.address": "auto", "ipv6.address": "none" } }));
    expect(fake.get(NET)?.config).toEqual({ "ipv4.address": "10.9.9.1/24", "ipv6.address": "none" });
  });
});

describe("settings that only steer the provider", () => {
  it("a changed deleteContents or stopTimeout is an update that sends nothing to Incus", async () => {
    const projects = engine("Project");
    const P = "/1.0/projects/px";
    fake.set(P, { name: "px", description: "", config: { "features.images": "true" }, used_by: [] });
    const olds = { name: "px", socket: fake.socket };
    expect(await projects.diff(P, olds, { ...olds, deleteContents: true })).toEqual({ changes: true });
    fake.requests.length = 0;
    const { outs } = await projects.update(P, olds, { ...olds, deleteContents: true });
    expect(outs.deleteContents).toBe(true);
    expect(writes()).toEqual([]);
    fake.remove(P);
  });
});

describe("secrets", () => {
  const secret = "S3CRET-value";
  const withSecret = (over: State = {}) => state({ config: { "user.token": secret, a: "1" }, __secretPaths: [["config", "user.token"]], ...over });

  it("a drift line names the key but not the values", async () => {
    fake.set(PATH, live({ config: { "user.token": "other-value", a: "2" } }));
    const { lines } = await printed(() => profiles.diff(PATH, withSecret(), withSecret()));
    expect(lines.join("\n")).not.toContain(secret);
    expect(lines.join("\n")).not.toContain("other-value");
    expect(lines).toContain(`Profile "web" in project "default": config["user.token"]: the server's value differs from the program's (secret, not shown)`);
    expect(lines).toContain(`Profile "web" in project "default": config["a"]: server has "2", program wants "1"`);
  });

  it("an error Incus sends back with the value in it is redacted", async () => {
    fake.set(PATH, live());
    fake.beforeWrite = () => 400;
    fake.errorText = `Invalid value "${secret}" for user.token`;
    try {
      await expect(profiles.update(PATH, withSecret(), withSecret())).rejects.toThrow(/Invalid value "\[secret\]"/);
      await expect(profiles.update(PATH, withSecret(), withSecret())).rejects.not.toThrow(new RegExp(secret));
    } finally {
      fake.errorText = undefined;
    }
  });

  it("a whole map marked secret hides every value in it", async () => {
    fake.set(PATH, live({ config: { a: "2" } }));
    const s = state({ config: { a: "hidden-1" }, __secretPaths: [["config"]] });
    const { lines } = await printed(() => profiles.diff(PATH, s, s));
    expect(lines.join("\n")).not.toContain("hidden-1");
    expect(lines.join("\n")).toContain('config["a"]');
  });
});

// In a preview, a value computed by another resource is Pulumi's unknown sentinel: lines say so, never show it.
describe("values known only after apply", () => {
  const strip = (lines: string[]) => lines.map((l) => l.replace(/^Profile "web" in project "default": /, "").replace(/^exists and will be adopted: /, ""));

  it("drift lines name each key; an unknown value is 'a value known after apply'", async () => {
    fake.set(PATH, live({ description: "old", config: { "limits.cpu": "1", "user.a": "x" } }));
    const news = state({ description: UNKNOWN, config: { "limits.cpu": "2", "user.a": UNKNOWN }, devices: { eth0: { type: "nic", network: UNKNOWN } } });
    const { lines } = await printed(() => profiles.diff(PATH, state({ description: "old", config: { "limits.cpu": "1", "user.a": "x" } }), news));
    expect(lines.join("\n")).not.toContain(UNKNOWN);
    expect(strip(lines).sort()).toEqual([
      'config["limits.cpu"]: server has "1", program wants "2"',
      'config["user.a"]: server has "x", program wants a value known after apply',
      'description: server has "old", program wants a value known after apply',
      'devices["eth0"]: server has unset, program wants {"type":"nic","network":(a value known after apply)}',
    ]);
  });

  it("a whole map that is unknown is one line", async () => {
    fake.set(PATH, live({ config: { "limits.cpu": "1" } }));
    const { lines } = await printed(() => profiles.diff(PATH, state({ config: { "limits.cpu": "1" } }), state({ config: UNKNOWN })));
    expect(strip(lines)).toEqual(['config: server has {"limits.cpu":"1"}, program wants a value known after apply']);
  });

  it("the adopt preview shows what adopting changes, values known after apply included", async () => {
    fake.set(PATH, live({ config: { "user.a": "x" } }));
    const { result, lines } = await printed(() => profiles.check({}, state({ adopt: true, config: { "user.a": UNKNOWN, "user.b": "1" } })));
    expect(result.failures).toBeUndefined();
    expect(lines.join("\n")).not.toContain(UNKNOWN);
    expect(strip(lines).sort()).toEqual([
      'config["user.a"]: server has "x", program wants a value known after apply',
      'config["user.b"]: server has unset, program wants "1"',
    ]);
    expect(writes()).toEqual([]);
  });

  it("kinds' own lines too: an instance's running state, an image's aliases", () => {
    const running = kinds.Instance.beyondFields!.diff({ running: UNKNOWN } as any, { status: "Stopped" } as any);
    expect(running).toEqual(["running: server has false (Stopped), program wants a value known after apply"]);
    const aliases = kinds.Image.beyondFields!.diff({ aliases: UNKNOWN } as any, { aliases: [{ name: "a" }] } as any, { aliases: ["a"] } as any);
    expect(aliases).toEqual(['aliases: server has ["a"], program wants a value known after apply']);
  });
});

describe("default objects Incus will not delete", () => {
  it("destroying an adopted default profile resets it to what a new project's default profile has", async () => {
    const D = "/1.0/profiles/default";
    fake.set(D, live({ name: "default", description: "mine", config: { "limits.cpu": "2" }, devices: { root: { type: "disk", path: "/", pool: "default" } } }));
    await profiles.delete("x", state({ name: "default", project: "default", description: "mine", config: { "limits.cpu": "2" } }));
    expect(fake.get(D)).toMatchObject({ description: "Default Incus profile", config: {}, devices: {} });
    expect(fake.requests.some((r) => r.method === "DELETE")).toBe(false);
    fake.remove(D);
  });
});

describe("inputs that cannot work together fail at check", () => {
  it("an ephemeral instance that should stay stopped", async () => {
    const res = await engine("Instance").check({}, { name: "c1", image: "busybox", project: "default", socket: fake.socket, ephemeral: true, running: false });
    expect(res.failures?.[0].property).toBe("running");
    expect(res.failures?.[0].reason).toMatch(/^running: an ephemeral instance is deleted by Incus when it stops/);
  });
});

describe("lookups (Kind.get)", () => {
  it("a malformed id says what an id looks like", async () => {
    await expect(profiles.read("profiles/web", {})).rejects.toThrow(
      'Profile.get: id "profiles/web" is not the API path of a profile; expected "/1.0/profiles/<name>?project=<project>"',
    );
    await expect(engine("StorageVolume").read("/1.0/storage-pools/default/volumes/custom/", {})).rejects.toThrow(
      /expected "\/1.0\/storage-pools\/<pool>\/volumes\/custom\/<name>/,
    );
  });

  it("the identity in the id's path (a volume's pool) comes back as outputs", async () => {
    const V = "/1.0/storage-pools/p%201/volumes/custom/v1";
    fake.set(V, { name: "v1", description: "d", config: {}, content_type: "filesystem", used_by: [], location: "none", created_at: "" });
    const res = await engine("StorageVolume").read(`${V}?project=lab`, { socket: fake.socket });
    expect(res.props).toMatchObject({ name: "v1", pool: "p 1", project: "lab", description: "d" });
    fake.remove(V);
  });

  // Pulumi hands a read's result to google-protobuf's Struct, which throws on undefined ("Unexpected struct type.").
  const { Struct } = require("google-protobuf/google/protobuf/struct_pb");

  it("a refresh reads it again by its id; what it hands back can go to Pulumi", async () => {
    fake.set(PATH, live({ description: "first" }));
    const got = await profiles.read(PATH, { socket: fake.socket });
    expect(got.props).toMatchObject({ name: "web", description: "first" });
    expect(() => Struct.fromJavaScript(got.props)).not.toThrow();
    fake.set(PATH, live({ description: "changed by hand" }));
    // A refresh sends the stored outputs (with the serialised provider) back; the socket stands for the stack's.
    const refreshed = await profiles.read(PATH, { ...got.props, socket: fake.socket, __provider: "code" });
    expect(refreshed.props).toMatchObject({ name: "web", description: "changed by hand" });
    expect(refreshed.inputs).toBeUndefined();
    expect(() => Struct.fromJavaScript(refreshed.props)).not.toThrow();
    expect(writes()).toEqual([]);
    // Gone since: the refresh drops it from the state (the next up's get says it is missing).
    fake.remove(PATH);
    expect(await profiles.read(PATH, { ...got.props, socket: fake.socket, __provider: "code" })).toEqual({});
  });

  it("state a lookup left before it was marked as one refreshes too", async () => {
    fake.set(PATH, live({ description: "d" }));
    const { __readById: _marker, ...older } = (await profiles.read(PATH, { socket: fake.socket })).props as State;
    const refreshed = await profiles.read(PATH, { ...older, socket: fake.socket });
    expect(refreshed.props).toMatchObject({ name: "web", description: "d" });
    expect(() => Struct.fromJavaScript(refreshed.props)).not.toThrow();
    expect(() => Struct.fromJavaScript(refreshed.inputs)).not.toThrow();
  });

  it("a missing object is an error naming the id", async () => {
    await expect(profiles.read("/1.0/profiles/nope", { socket: fake.socket })).rejects.toThrow('Profile.get: no profile at "/1.0/profiles/nope"');
  });
});
