// The owner mark: on by default, unique per stack instance (the SDK's StackIdentity), never a change of its own, and
// unknown in the first preview without breaking check.
import * as pulumi from "@pulumi/pulumi";
import { configure, KindEngine, kinds } from "pulumi-incus/provider";
import { OWNER_KEY, OWNER_MARKER, UNKNOWN } from "../../provider/engine/inputs";
import { CLAIM_KEY } from "../../provider/engine/ownership";
import { FakeIncus, fakeIncusForFile } from "./fake-incus";

type State = Record<string, unknown>;
const profiles = new KindEngine(kinds.Profile as any);
const PATH = "/1.0/profiles/web";
const OWNER = "organization/app/dev/5f0c3a8e-0000-4000-8000-000000000001::urn:pulumi:dev::app::pulumi-nodejs:dynamic/incus:Profile::web";
/** The mark of OWNER with a claim (`<owner> #<12 hex>`). */
const MARKED = expect.stringMatching(new RegExp(`^${OWNER.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} #[0-9a-f]{12}$`));
const claimIn = (config: unknown) => /#([0-9a-f]{12})$/.exec(String((config as State)[OWNER_MARKER]))?.[1];

const daemon = fakeIncusForFile();
let fake: FakeIncus;
beforeAll(() => {
  fake = daemon.current;
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.remove(PATH);
  configure({});
});
afterAll(() => configure({}));

const inputs = (over: State = {}): State => ({ name: "web", project: "default", socket: fake.socket, config: { "limits.cpu": "1" }, ...over });
const quietly = <T>(fn: () => Promise<T>): Promise<T> => {
  const log = jest.spyOn(console, "log").mockImplementation(() => {});
  return fn().finally(() => log.mockRestore());
};

describe("provider", () => {
  it("writes the mark (owner and this create's claim) in the create request by default, and keeps the claim in state", async () => {
    const { outs } = await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    const post = fake.requests.find((r) => r.method === "POST");
    expect(post?.body?.config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: MARKED });
    const config = (fake.get(PATH) as State).config;
    expect(config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: MARKED });
    expect(outs[CLAIM_KEY]).toBe(claimIn(config));
    expect(fake.requests.filter((r) => r.method === "PUT")).toEqual([]);
  });

  it('writes no mark with incus:markOwner "false"', async () => {
    configure({ markOwner: "false" });
    await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    expect((fake.get(PATH) as State).config).toEqual({ "limits.cpu": "1" });
  });

  it("takes over an object with its own mark (writing a new claim), refuses one with another stack's", async () => {
    fake.set(PATH, { name: "web", description: "", config: { [OWNER_MARKER]: OWNER.replace("0001", "0002") }, devices: {}, used_by: [] });
    await expect(quietly(() => profiles.create(inputs({ [OWNER_KEY]: OWNER })))).rejects.toThrow(/already exists; set `adopt: true`/);
    for (const mark of [OWNER, `${OWNER} #0123456789ab`]) {
      fake.set(PATH, { name: "web", description: "", config: { [OWNER_MARKER]: mark }, devices: {}, used_by: [] });
      const { outs } = await quietly(() => profiles.create(inputs({ [OWNER_KEY]: OWNER })));
      expect(outs[OWNER_KEY]).toBeUndefined();
      const config = (fake.get(PATH) as State).config;
      expect(config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: MARKED });
      expect(claimIn(config)).not.toBe("0123456789ab");
      expect(outs[CLAIM_KEY]).toBe(claimIn(config));
    }
  });

  it("refuses an object that another resource of the same stack holds, naming it", async () => {
    const other = OWNER.replace("incus:Profile::web", "incus:Profile::shared").replace("::urn:pulumi:dev::app::", "::urn:pulumi:dev::app::my:Lib$");
    fake.set(PATH, { name: "web", description: "", config: { [OWNER_MARKER]: `${other} #0123456789ab` }, devices: {}, used_by: [] });
    const failure = quietly(() => profiles.create(inputs({ [OWNER_KEY]: OWNER })));
    await expect(failure).rejects.toThrow(
      /belongs to another resource of this stack, urn:pulumi:dev::app::my:Lib\$pulumi-nodejs:dynamic\/incus:Profile::shared/,
    );
    await expect(failure).rejects.toThrow(/add `aliases`/);
    expect((fake.get(PATH) as State).config).toEqual({ [OWNER_MARKER]: `${other} #0123456789ab` });
    expect(fake.requests.filter((r) => r.method === "PUT")).toEqual([]);
  });

  it("never takes over the object a diff of this run saw recorded (the old half of a create-first replacement)", async () => {
    const engine = new KindEngine(kinds.Profile as any);
    const { outs } = await engine.create(inputs({ [OWNER_KEY]: OWNER }));
    const { result } = await quietly(() => engine.diffDetailed(PATH, outs, inputs({ [OWNER_KEY]: OWNER, config: { "limits.cpu": "2" } })));
    expect(result.deleteBeforeReplace).toBe(true);
    fake.requests.length = 0;
    await expect(quietly(() => engine.create(inputs({ [OWNER_KEY]: OWNER })))).rejects.toThrow(/still records it as this resource's current object/);
    expect(fake.requests.filter((r) => r.method === "PUT" || r.method === "DELETE")).toEqual([]);
  });

  it("deletes only while the object carries the resource's claim: a newer create's takeover keeps it", async () => {
    const first = await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    // A create-first replacement the provider's diff never saw (`pulumi up --replace` in YAML) takes it over...
    const second = await quietly(() => new KindEngine(kinds.Profile as any).create(inputs({ [OWNER_KEY]: OWNER })));
    expect(second.outs[CLAIM_KEY]).not.toBe(first.outs[CLAIM_KEY]);
    // ...and the old half's delete leaves it to the new one.
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      await profiles.delete(PATH, first.outs);
      expect(log.mock.calls.flat().join("\n")).toMatch(/not deleted: a newer create of this stack took the object over/);
    } finally {
      log.mockRestore();
    }
    expect(fake.get(PATH)).toBeDefined();
    await profiles.delete(PATH, second.outs);
    expect(fake.get(PATH)).toBeUndefined();
  });

  describe("kinds with no map for the mark: the create under way is recorded in the server's config", () => {
    const aliases = () => new KindEngine(kinds.ImageAlias as any);
    const ALIAS = "/1.0/images/aliases/web";
    const alias = (over: State = {}): State => ({ name: "web", project: "default", socket: fake.socket, target: "a".repeat(64), [OWNER_KEY]: OWNER, ...over });
    const serverConfig = () => (fake.get("/1.0") as State).config as State;
    beforeEach(() => {
      fake.remove(ALIAS);
      fake.set("/1.0", { config: { "core.https_address": "127.0.0.1:8443" } });
    });

    it("keeps the mark in the server's config from just before the create request until the delete (other keys kept)", async () => {
      const engine = aliases();
      const { outs } = await engine.create(alias());
      const patches = fake.requests.filter((r) => r.method === "PATCH").map((r) => r.body?.config as State);
      expect(patches).toHaveLength(1);
      const [key] = Object.keys(patches[0]);
      expect(key).toMatch(/^user\.pulumi-incus\.mark\.[0-9a-f]{8}\.[0-9a-f]{16}$/);
      expect(patches[0][key]).toEqual(MARKED);
      expect(fake.requests.findIndex((r) => r.method === "PATCH")).toBeLessThan(fake.requests.findIndex((r) => r.method === "POST"));
      expect(serverConfig()).toEqual({ "core.https_address": "127.0.0.1:8443", [key]: MARKED });
      expect(outs[CLAIM_KEY]).toBe(claimIn({ [OWNER_MARKER]: serverConfig()[key] }));
      // A rename moves the record with the object; the delete removes it.
      fake.beforeWrite = (req) => {
        if (req.method !== "POST" || req.path.split("?")[0] !== ALIAS) return;
        fake.set("/1.0/images/aliases/web2", { ...(fake.get(ALIAS) as State), name: "web2" });
        fake.remove(ALIAS);
        return "handled";
      };
      const { outs: renamed } = await engine.update(ALIAS, outs, alias({ name: "web2" })).finally(() => (fake.beforeWrite = undefined));
      const moved = Object.keys(serverConfig()).filter((k) => k.startsWith("user.pulumi-incus.mark."));
      expect(moved).toHaveLength(1);
      expect(moved[0]).not.toBe(key);
      await engine.delete("/1.0/images/aliases/web2", renamed);
      expect(serverConfig()).toEqual({ "core.https_address": "127.0.0.1:8443" });
    });

    it("creates and deletes under way at once share their reads of the server's config, and each record is kept or removed as its own", async () => {
      const engine = aliases();
      const names = Array.from({ length: 12 }, (_, i) => `many${i}`);
      const made = await Promise.all(names.map((n) => engine.create(alias({ name: n, [OWNER_KEY]: OWNER.replace("::web", `::${n}`) }))));
      const records = () => Object.keys(serverConfig()).filter((k) => k.startsWith("user.pulumi-incus.mark."));
      expect(records()).toHaveLength(12);
      const serverReads = () => fake.requests.filter((r) => r.method === "GET" && r.path === "/1.0").length;
      expect(serverReads()).toBeLessThanOrEqual(4); // 12 alone before
      fake.requests.length = 0;
      await Promise.all(names.map((n, i) => engine.delete(`/1.0/images/aliases/${n}`, made[i].outs)));
      for (const n of names) expect(fake.get(`/1.0/images/aliases/${n}`)).toBeUndefined();
      expect(records()).toEqual([]);
      expect(serverReads()).toBeLessThanOrEqual(4); // 24 alone before: one before and one after each DELETE
    });

    it("takes over the object of an interrupted create of the same resource; refuses one without a record or of another owner", async () => {
      const first = await aliases().create(alias());
      const key = Object.keys(fake.requests.find((r) => r.method === "PATCH")?.body?.config as State)[0];
      const recordOf = () => serverConfig()[key];
      // No record: someone else's alias of the same name. The record goes back to what it was (none).
      fake.set("/1.0", { config: {} });
      await expect(quietly(() => aliases().create(alias()))).rejects.toThrow(/already exists; set `adopt: true`/);
      expect(recordOf()).toBeUndefined();
      // Another stack's object.
      fake.set("/1.0", { config: { [key]: `${OWNER.replace("0001", "0002")} #0123456789ab` } });
      await expect(quietly(() => aliases().create(alias()))).rejects.toThrow(/already exists; set `adopt: true`/);
      expect(recordOf()).toBe(`${OWNER.replace("0001", "0002")} #0123456789ab`);
      // This resource's own (its create was interrupted before Pulumi recorded it): taken over, with a new claim.
      fake.set("/1.0", { config: { [key]: `${OWNER} #0123456789ab` } });
      const { outs } = await quietly(() => aliases().create(alias({ description: "mine" })));
      expect((fake.get(ALIAS) as State).description).toBe("mine");
      expect(recordOf()).toBe(`${OWNER} #${outs[CLAIM_KEY]}`);
      // The older resource state (first create's claim) no longer deletes it.
      await quietly(() => aliases().delete(ALIAS, first.outs));
      expect(fake.get(ALIAS)).toBeDefined();
      await aliases().delete(ALIAS, outs);
      expect(fake.get(ALIAS)).toBeUndefined();
      expect(recordOf()).toBeUndefined();
    });

    it("ServerConfig: its own claim left by an interrupted create is taken over; another resource's is refused, naming it", async () => {
      const configs = () => new KindEngine(kinds.ServerConfig as any);
      const CLAIM = "user.pulumi-incus.server-config";
      const owner = OWNER.replace("incus:Profile::web", "incus:ServerConfig::server");
      fake.set("/1.0", { config: { "images.auto_update_interval": "6", [CLAIM]: `${owner} #0123456789ab` } });
      const inputs = { name: "server", socket: fake.socket, config: { "images.auto_update_interval": "12" }, [OWNER_KEY]: owner };
      const other = OWNER.replace("incus:Profile::web", "incus:ServerConfig::other");
      await expect(quietly(() => configs().create({ ...inputs, [OWNER_KEY]: other }))).rejects.toThrow(
        /already managed by urn:pulumi:dev::app::pulumi-nodejs:dynamic\/incus:ServerConfig::server/,
      );
      const { outs } = await quietly(() => configs().create(inputs));
      expect(serverConfig()["images.auto_update_interval"]).toBe("12");
      expect(serverConfig()[CLAIM]).toMatch(new RegExp(`^${owner.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} #[0-9a-f]{12}$`));
      expect(serverConfig()[CLAIM]).not.toContain("0123456789ab");
      expect(outs.claim).toBe(serverConfig()[CLAIM]);
      // What the keys had before the interrupted run is gone with it: what they hold at the takeover is what destroy puts back.
      expect(outs.previousConfig).toEqual({ "images.auto_update_interval": "6" });
    });

    it("a generated certificate's interrupted create leaves no trust entry behind: the next create deletes it", async () => {
      const { generateCertificate, ownerUnit } = await import("../../provider/kinds/certgen");
      const { X509Certificate } = await import("node:crypto");
      const left = await generateCertificate("ci", 1, ownerUnit(OWNER));
      const fp = new X509Certificate(left.certificate).fingerprint256.replace(/:/g, "").toLowerCase();
      const other = await generateCertificate("ci", 1, ownerUnit(OWNER.replace("0001", "0002")));
      const otherFp = new X509Certificate(other.certificate).fingerprint256.replace(/:/g, "").toLowerCase();
      fake.set(`/1.0/certificates/${fp}`, { name: "ci", fingerprint: fp, certificate: left.certificate, type: "client" });
      fake.set(`/1.0/certificates/${otherFp}`, { name: "ci", fingerprint: otherFp, certificate: other.certificate, type: "client" });
      const certs = new KindEngine(kinds.Certificate as any);
      // Incus files a certificate under its fingerprint.
      fake.beforeWrite = (req) => {
        if (req.method !== "POST" || req.path !== "/1.0/certificates") return;
        const made = new X509Certificate(Buffer.from(String(req.body?.certificate), "base64"));
        const madeFp = made.fingerprint256.replace(/:/g, "").toLowerCase();
        fake.set(`/1.0/certificates/${madeFp}`, { ...req.body, fingerprint: madeFp, certificate: made.toString() });
        return "handled";
      };
      try {
        await quietly(() => certs.create({ name: "ci", socket: fake.socket, [OWNER_KEY]: OWNER }));
      } finally {
        fake.beforeWrite = undefined;
      }
      expect(fake.get(`/1.0/certificates/${fp}`)).toBeUndefined();
      expect(fake.get(`/1.0/certificates/${otherFp}`)).toBeDefined();
      const made = fake.requests.find((r) => r.method === "POST" && r.path.startsWith("/1.0/certificates"))?.body;
      const cert = new X509Certificate(Buffer.from(String(made?.certificate), "base64"));
      expect(cert.subject.split("\n")).toContain(`OU=${ownerUnit(OWNER)}`);
      fake.remove(`/1.0/certificates/${otherFp}`);
      fake.remove(`/1.0/certificates/${new X509Certificate(cert.raw).fingerprint256.replace(/:/g, "").toLowerCase()}`);
    });
  });

  it("a volume copy without a config of the program's gets no mark (it would replace the copied config)", async () => {
    const volumes = new KindEngine(kinds.StorageVolume as any);
    const post = async (over: State) => {
      fake.requests.length = 0;
      fake.remove("/1.0/storage-pools/default/volumes/custom/copy");
      await volumes.create({
        name: "copy",
        project: "default",
        socket: fake.socket,
        pool: "default",
        copyFrom: { volume: "src" },
        [OWNER_KEY]: OWNER,
        ...over,
      });
      return fake.requests.find((r) => r.method === "POST")?.body;
    };
    expect(await post({})).not.toHaveProperty("config");
    expect((await post({ config: { size: "1GiB" } }))?.config).toEqual({ size: "1GiB", [OWNER_MARKER]: MARKED });
  });

  it("check leaves out an owner that is still unknown, and keeps a known one", async () => {
    const preview = await profiles.check({}, inputs({ [OWNER_KEY]: UNKNOWN }));
    expect(preview.failures).toBeUndefined();
    expect(preview.inputs).not.toHaveProperty(OWNER_KEY);
    expect((await profiles.check({}, inputs({ [OWNER_KEY]: OWNER }))).inputs?.[OWNER_KEY]).toBe(OWNER);
  });

  it("a changed owner (an older stack's format, or unknown) is no change", async () => {
    await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    const olds = { ...inputs(), [OWNER_KEY]: "organization/app/dev::Profile::web" };
    for (const owner of [OWNER, UNKNOWN, undefined]) {
      const { result, detailed } = await quietly(() => profiles.diffDetailed(PATH, olds, inputs({ [OWNER_KEY]: owner })));
      expect(result.changes).toBe(false);
      expect(detailed).toEqual({});
    }
  });
});

describe("SDK", () => {
  const registered: { type: string; name: string; inputs: State }[] = [];
  beforeAll(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return {
            id: args.type.endsWith(":StackIdentity") ? "0b7d2a4c-1111-4222-8333-444455556666" : `${args.name}-id`,
            state: { ...args.inputs, uuid: "0b7d2a4c-1111-4222-8333-444455556666" },
          };
        },
        call: (args) => args.inputs,
      },
      "app",
      "dev",
      false,
      "organization",
    );
  });
  const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  const identities = () => registered.filter((r) => r.type === "pulumi-nodejs:dynamic/incus:StackIdentity");

  it("a lookup makes no stack identity; the first resource makes one, shared by all, and owners name it", async () => {
    // Loaded here so it sees the mocks.
    const incus = await import("pulumi-incus");
    incus.Profile.get("seen", "/1.0/profiles/seen");
    await new Promise((r) => setTimeout(r, 50));
    expect(identities()).toEqual([]);
    const a = new incus.Profile("a", {});
    new incus.Network("b", {});
    await new Promise((r) => setTimeout(r, 50));
    expect(identities().map((r) => r.name)).toEqual(["pulumi-incus-stack-identity"]);
    const owners = registered.filter((r) => !r.type.endsWith(":StackIdentity") && r.name !== "seen").map((r) => r.inputs.__owner);
    expect(owners).toEqual([
      "organization/app/dev/0b7d2a4c-1111-4222-8333-444455556666::urn:pulumi:dev::app::pulumi-nodejs:dynamic/incus:Profile::a",
      "organization/app/dev/0b7d2a4c-1111-4222-8333-444455556666::urn:pulumi:dev::app::pulumi-nodejs:dynamic/incus:Network::b",
    ]);
    expect(await resolve(a.urn)).toContain("Profile::a");
  });

  it("owners name the resource's URN: two components' children of one logical name are two owners", async () => {
    const incus = await import("pulumi-incus");
    const lib = (type: string) =>
      class extends pulumi.ComponentResource {
        constructor(name: string) {
          super(type, name);
          new incus.Profile("shared", { name: "shared" }, { parent: this });
        }
      };
    const before = registered.length;
    new (lib("my:index:Web"))("web");
    new (lib("my:index:Db"))("db");
    await new Promise((r) => setTimeout(r, 100));
    const owners = registered
      .slice(before)
      .filter((r) => r.type.endsWith(":Profile"))
      .map((r) => r.inputs.__owner);
    const stack = "organization/app/dev/0b7d2a4c-1111-4222-8333-444455556666";
    expect(owners).toEqual([
      `${stack}::urn:pulumi:dev::app::my:index:Web$pulumi-nodejs:dynamic/incus:Profile::shared`,
      `${stack}::urn:pulumi:dev::app::my:index:Db$pulumi-nodejs:dynamic/incus:Profile::shared`,
    ]);
  });

  it("two copies of the package in one program make one stack identity", async () => {
    let copy!: typeof import("pulumi-incus");
    jest.isolateModules(() => {
      copy = require("pulumi-incus");
    });
    const incus = await import("pulumi-incus");
    expect(copy.Profile).not.toBe(incus.Profile);
    new incus.Profile("from-main", {});
    new copy.Profile("from-copy", {});
    await new Promise((r) => setTimeout(r, 50));
    expect(identities()).toHaveLength(1);
    expect(registered.find((r) => r.name === "from-copy")?.inputs.__owner).toMatch(/^organization\/app\/dev\/0b7d2a4c-1111-4222-8333-444455556666::urn:/);
  });

  it('incus:markOwner "false": no identity and no owner', async () => {
    pulumi.runtime.setConfig("incus:markOwner", "false");
    // The identity is one per program run across copies of the package: forget the one the tests above made.
    delete (globalThis as Record<symbol, unknown>)[Symbol.for("pulumi-incus.stack-identity")];
    try {
      let fresh!: typeof import("pulumi-incus");
      jest.isolateModules(() => {
        fresh = require("pulumi-incus");
      });
      const before = registered.length;
      new fresh.Profile("c", {});
      await new Promise((r) => setTimeout(r, 50));
      const made = registered.slice(before);
      expect(made.map((r) => r.type)).toEqual(["pulumi-nodejs:dynamic/incus:Profile"]);
      expect(made[0].inputs.__owner).toBeUndefined();
    } finally {
      pulumi.runtime.setConfig("incus:markOwner", "");
    }
  });

  it("isInstance: true for the kind's resources from either copy of the package, false for other kinds and values", async () => {
    let copy!: typeof import("pulumi-incus");
    jest.isolateModules(() => {
      copy = require("pulumi-incus");
    });
    const incus = await import("pulumi-incus");
    const mine = new incus.Profile("is-mine", {});
    const theirs = new copy.Profile("is-theirs", {});
    const network = new incus.Network("is-net", {});
    expect([incus.Profile.isInstance(mine), incus.Profile.isInstance(theirs), copy.Profile.isInstance(mine)]).toEqual([true, true, true]);
    // Pulumi's inherited isInstance says true for any custom resource: the kind's own must not.
    expect([incus.Profile.isInstance(network), incus.Network.isInstance(mine), copy.Network.isInstance(theirs)]).toEqual([false, false, false]);
    const others = [undefined, null, {}, "Profile", { __pulumiType: "pulumi-nodejs:dynamic/incus:Network" }];
    expect(others.map((v) => incus.Profile.isInstance(v))).toEqual([false, false, false, false, false]);
    await new Promise((r) => setTimeout(r, 50));
  });
});
