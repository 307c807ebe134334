// The owner mark: on by default, unique per stack instance (the SDK's StackIdentity), never a change of its own, and
// unknown in the first preview without breaking check.
import * as pulumi from "@pulumi/pulumi";
import { configure, KindEngine, kinds } from "pulumi-incus/provider";
import { OWNER_KEY, OWNER_MARKER, UNKNOWN } from "../../provider/engine/inputs";
import { FakeIncus, fakeIncusForFile } from "./fake-incus";

type State = Record<string, unknown>;
const profiles = new KindEngine(kinds.Profile as any);
const PATH = "/1.0/profiles/web";
const OWNER = "organization/app/dev/5f0c3a8e-0000-4000-8000-000000000001::Profile::web";

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
  it("writes the mark in the create request by default", async () => {
    await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    const post = fake.requests.find((r) => r.method === "POST");
    expect(post?.body?.config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: OWNER });
    expect((fake.get(PATH) as State).config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: OWNER });
  });

  it('writes no mark with incus:markOwner "false"', async () => {
    configure({ markOwner: "false" });
    await profiles.create(inputs({ [OWNER_KEY]: OWNER }));
    expect((fake.get(PATH) as State).config).toEqual({ "limits.cpu": "1" });
  });

  it("takes over an object with its own mark, refuses one with another stack's", async () => {
    fake.set(PATH, { name: "web", description: "", config: { [OWNER_MARKER]: OWNER.replace("0001", "0002") }, devices: {}, used_by: [] });
    await expect(quietly(() => profiles.create(inputs({ [OWNER_KEY]: OWNER })))).rejects.toThrow(/already exists; set `adopt: true`/);
    fake.set(PATH, { name: "web", description: "", config: { [OWNER_MARKER]: OWNER }, devices: {}, used_by: [] });
    const { outs } = await quietly(() => profiles.create(inputs({ [OWNER_KEY]: OWNER })));
    expect(outs[OWNER_KEY]).toBeUndefined();
    expect((fake.get(PATH) as State).config).toEqual({ "limits.cpu": "1", [OWNER_MARKER]: OWNER });
  });

  it("a volume copy without a config of the program's gets no mark (it would replace the copied config)", async () => {
    const volumes = new KindEngine(kinds.StorageVolume as any);
    const post = async (over: State) => {
      fake.requests.length = 0;
      fake.remove("/1.0/storage-pools/default/volumes/custom/copy");
      await volumes.create({ name: "copy", project: "default", socket: fake.socket, pool: "default", copyFrom: { volume: "src" }, [OWNER_KEY]: OWNER, ...over });
      return fake.requests.find((r) => r.method === "POST")?.body;
    };
    expect(await post({})).not.toHaveProperty("config");
    expect((await post({ config: { size: "1GiB" } }))?.config).toEqual({ size: "1GiB", [OWNER_MARKER]: OWNER });
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
          return { id: args.type.endsWith(":StackIdentity") ? "0b7d2a4c-1111-4222-8333-444455556666" : `${args.name}-id`, state: { ...args.inputs, uuid: "0b7d2a4c-1111-4222-8333-444455556666" } };
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
      "organization/app/dev/0b7d2a4c-1111-4222-8333-444455556666::Profile::a",
      "organization/app/dev/0b7d2a4c-1111-4222-8333-444455556666::Network::b",
    ]);
    expect(await resolve(a.urn)).toContain("Profile::a");
  });

  it('incus:markOwner "false": no identity and no owner', async () => {
    pulumi.runtime.setConfig("incus:markOwner", "false");
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
});
