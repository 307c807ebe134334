// Lookups (getXxx, getXxxOutput, getXxxs) against the stand-in daemon: what they ask, what they report, how they
// fail, and that they find Incus through the stack's `incus:*` config as resources do.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";
import { closeAllPools, engineFor, type KindName, KindEngine, kinds } from "pulumi-incus/provider";
import { z } from "zod";
import { defineKind } from "../../provider/engine/kind";
import { generateSdk } from "../../scripts/generate-sdk";
import { FakeIncus } from "./fake-incus";

let fake: FakeIncus;
beforeAll(async () => {
  fake = await new FakeIncus().start();
});
afterAll(async () => {
  await closeAllPools();
  await fake.stop();
});

const FP = "ab".repeat(32);
beforeEach(() => {
  fake.requests.length = 0;
  fake.set("/1.0/profiles/web", {
    name: "web",
    project: "default",
    description: "Web",
    config: { "limits.cpu": "2", "volatile.x": "1" },
    devices: {},
    used_by: ["/1.0/instances/a"],
  });
  fake.set("/1.0/storage-pools/fast/volumes/custom/data", {
    name: "data",
    content_type: "block",
    description: "",
    config: { size: "1GiB" },
    location: "none",
    used_by: [],
    created_at: "2026-01-01T00:00:00Z",
  });
  fake.set(`/1.0/images/${FP}`, {
    fingerprint: FP,
    public: false,
    auto_update: false,
    properties: { os: "busybox" },
    profiles: ["default"],
    aliases: [{ name: "tiny", description: "" }],
    size: 1024,
    architecture: "x86_64",
    type: "container",
    created_at: "2026-01-01T00:00:00Z",
  });
  fake.set("/1.0/images/aliases/tiny", { name: "tiny", target: FP });
  fake.remove("/1.0/instances/web-1");
  fake.remove("/1.0/instances/web-2");
  fake.remove("/1.0/instances/db-1");
});

const requests = () => fake.requests.map((r) => `${r.method} ${r.path}`);
const settled = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

test("every kind has getXxx and getXxxOutput, taking the fields its path reads", () => {
  const sdk = incus as unknown as Record<string, unknown>;
  const text = generateSdk();
  for (const type of Object.keys(kinds) as KindName[]) {
    expect(typeof sdk[`get${type}`]).toBe("function");
    expect(typeof sdk[`get${type}Output`]).toBe("function");
    const body = new RegExp(`export interface Get${type}Args \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)![1];
    for (const field of engineFor(type).lookupIdentity()) expect(body).toMatch(new RegExp(`^  ${field}\\??: string;$`, "m"));
  }
  expect(engineFor("StorageVolume").lookupIdentity()).toEqual(["pool", "name"]);
  expect(engineFor("Image").lookupIdentity()).toEqual(["fingerprint"]);
});

test("every field of a lookup's arguments and result has a doc comment", () => {
  const text = generateSdk();
  const blocks = [...text.matchAll(/export interface (Get\w+(?:Args|Result)) \{\n([\s\S]*?)\n\}/g)];
  expect(blocks.length).toBeGreaterThanOrEqual(Object.keys(kinds).length * 3);
  for (const [, name, body] of blocks) {
    const lines = body.split("\n");
    lines.forEach((line, i) => {
      if (/^ {2}(readonly )?\w+\??: /.test(line)) expect(`${name}: ${lines[i - 1]}`).toMatch(/\*\/$/);
    });
  }
});

test("getProfile reports every field as the server has it, with one GET", async () => {
  const p = await incus.getProfile({ name: "web", socket: fake.socket });
  expect(p).toEqual({ name: "web", project: "default", description: "Web", config: { "limits.cpu": "2" }, devices: {}, usedBy: ["/1.0/instances/a"] });
  expect(requests()).toEqual(["GET /1.0/profiles/web"]);
});

test("a missing object fails naming the kind, its identity and the project", async () => {
  await expect(incus.getProfile({ name: "nope", socket: fake.socket, project: "lab" })).rejects.toThrow(
    /^getProfile: Profile "nope" in project "lab" does not exist \(Incus answered: .*not found/,
  );
  await expect(incus.getStorageVolume({ pool: "fast", name: "gone", socket: fake.socket })).rejects.toThrow(
    'getStorageVolume: StorageVolume "gone" (pool "fast") in project "default" does not exist',
  );
  await expect(incus.getImage({ alias: "missing", socket: fake.socket })).rejects.toThrow('getImage: no image with alias "missing" in project "default"');
});

test("a parent is part of the identity: a volume is read under its pool, in its project", async () => {
  const v = await incus.getStorageVolume({ pool: "fast", name: "data", project: "lab", socket: fake.socket });
  expect(v).toEqual({
    name: "data",
    pool: "fast",
    project: "lab",
    contentType: "block",
    description: "",
    config: { size: "1GiB" },
    location: "none",
    usedBy: [],
    createdAt: "2026-01-01T00:00:00Z",
  });
  expect(requests()).toEqual(["GET /1.0/storage-pools/fast/volumes/custom/data?project=lab"]);
});

test("an image is found by fingerprint or by alias; its name is only a label, so it has none", async () => {
  const byAlias = await incus.getImage({ alias: "tiny", socket: fake.socket });
  expect(requests()).toEqual(["GET /1.0/images/aliases/tiny", `GET /1.0/images/${FP}`]);
  expect(byAlias).toEqual({
    fingerprint: FP,
    project: "default",
    public: false,
    autoUpdate: false,
    properties: { os: "busybox" },
    profiles: ["default"],
    aliases: ["tiny"],
    size: 1024,
    architecture: "x86_64",
    imageType: "container",
    createdAt: "2026-01-01T00:00:00Z",
  });
  expect(await incus.getImage({ fingerprint: FP, socket: fake.socket })).toEqual(byAlias);
  await expect(incus.getImage({ socket: fake.socket })).rejects.toThrow("getImage: give `fingerprint` or `alias`");
});

test("arguments a kind does not take, or that are not strings, are named", async () => {
  await expect(incus.getProfile({ name: "web", socket: fake.socket, pool: "x" } as never)).rejects.toThrow(/^getProfile: no such argument `pool`/);
  await expect(incus.getProfile({ name: 5, socket: fake.socket } as never)).rejects.toThrow(/^getProfile: `name`: .* \(5\)$/);
  await expect(incus.getProfile({ name: "web", socket: 5 } as never)).rejects.toThrow("getProfile: `socket` must be a non-empty string, not 5");
  expect(fake.requests).toEqual([]);
});

test("the Output form takes other resources' outputs and gives an Output of the result", async () => {
  const p = await settled(incus.getProfileOutput({ name: pulumi.output("web"), socket: pulumi.output(fake.socket) }));
  expect(p.description).toBe("Web");
  const secret = incus.getProfileOutput({ name: pulumi.secret("web"), socket: fake.socket });
  expect(await pulumi.isSecret(secret)).toBe(true);
});

test("the Output form of a kind with secret outputs is secret; one whose secrets only a stack has is not", async () => {
  const K = "/1.0/storage-pools/default/buckets/bucket1/keys/k1";
  fake.set(K, { name: "k1", description: "", role: "admin", "access-key": "AK", "secret-key": "SK-plain" });
  // A key's `location` asks the server whether it is a cluster (a standalone one: "none", no more requests); the
  // lookup itself asks whether the server has buckets at all.
  fake.set("/1.0", { api_extensions: ["storage_buckets"], environment: { server_clustered: false } });
  const key = incus.getStorageBucketKeyOutput({ pool: "default", bucket: "bucket1", name: "k1", socket: fake.socket });
  expect(await pulumi.isSecret(key)).toBe(true);
  expect((await settled(key)).secretKey).toBe("SK-plain");
  expect((await settled(key)).location).toBe("none");
  fake.remove(K);
  fake.remove("/1.0");
  // A certificate's private key and an instance's file digests belong to the stack that made them: not in a lookup.
  expect(await pulumi.isSecret(incus.getProfileOutput({ name: "web", socket: fake.socket }))).toBe(false);
});

test("an object Incus serves from the default project (the project's feature is off) reports that project", async () => {
  // A profile's GET in a project without features.profiles answers with the default project's profile.
  const p = await incus.getProfile({ name: "web", project: "lab", socket: fake.socket });
  expect(p.project).toBe("default");
});

test("the connection and project come from the stack's incus:* config when the arguments name none", async () => {
  pulumi.runtime.setConfig("incus:socket", fake.socket);
  pulumi.runtime.setConfig("incus:project", "lab");
  try {
    const v = await incus.getStorageVolume({ pool: "fast", name: "data" });
    expect(v.project).toBe("lab");
    expect(requests()).toEqual(["GET /1.0/storage-pools/fast/volumes/custom/data?project=lab"]);
  } finally {
    pulumi.runtime.setConfig("incus:socket", "");
    pulumi.runtime.setConfig("incus:project", "");
  }
});

test("getInstances: one list request (state included), filtered by name prefix, status, type and config", async () => {
  const inst = (name: string, status: string, config: Record<string, string>) => ({
    name,
    status,
    type: "container",
    description: "",
    profiles: ["default"],
    config: { ...config, "volatile.base_image": FP },
    devices: { eth0: { type: "nic", network: "br0" } },
    ephemeral: false,
    architecture: "x86_64",
    location: "none",
    created_at: "2026-01-01T00:00:00Z",
    state: status === "Running" ? { network: { eth0: { addresses: [{ family: "inet", address: "10.1.1.2", scope: "global" }] } } } : null,
  });
  fake.set("/1.0/instances/web-1", inst("web-1", "Running", { "user.role": "web" }));
  fake.set("/1.0/instances/web-2", inst("web-2", "Stopped", { "user.role": "web" }));
  fake.set("/1.0/instances/db-1", inst("db-1", "Running", { "user.role": "db" }));

  const all = await incus.getInstances({ socket: fake.socket });
  expect(all.map((i) => i.name).sort()).toEqual(["db-1", "web-1", "web-2"]);
  expect(requests()).toEqual(["GET /1.0/instances?recursion=2"]);
  const web1 = all.find((i) => i.name === "web-1")!;
  expect(web1).toMatchObject({ project: "default", status: "Running", ipv4Addresses: ["10.1.1.2"], imageFingerprint: FP, config: { "user.role": "web" } });
  expect(Object.keys(web1)).not.toContain("fileDigests");

  expect((await incus.getInstances({ socket: fake.socket, namePrefix: "web-" })).map((i) => i.name).sort()).toEqual(["web-1", "web-2"]);
  expect((await incus.getInstances({ socket: fake.socket, status: "running" })).map((i) => i.name).sort()).toEqual(["db-1", "web-1"]);
  expect((await incus.getInstances({ socket: fake.socket, config: { "user.role": "web" }, status: "Running" })).map((i) => i.name)).toEqual(["web-1"]);
  expect(await incus.getInstances({ socket: fake.socket, type: "virtual-machine" })).toEqual([]);
  await expect(incus.getInstances({ socket: fake.socket, state: "x" } as never)).rejects.toThrow(/^getInstances: /);
});

test("getImages filters by alias and properties; getImagesOutput takes Outputs", async () => {
  fake.set(`/1.0/images/${"cd".repeat(32)}`, { fingerprint: "cd".repeat(32), properties: { os: "debian" }, aliases: [], profiles: ["default"] });
  expect((await incus.getImages({ socket: fake.socket })).length).toBe(2);
  expect((await incus.getImages({ socket: fake.socket, alias: "tiny" })).map((i) => i.fingerprint)).toEqual([FP]);
  expect((await incus.getImages({ socket: fake.socket, properties: { os: "debian" } })).map((i) => i.fingerprint)).toEqual(["cd".repeat(32)]);
  expect(await settled(incus.getImagesOutput({ socket: fake.socket, properties: { os: pulumi.output("none") } }))).toEqual([]);
  fake.remove(`/1.0/images/${"cd".repeat(32)}`);
});

describe("kinds other helpers add get lookups from their declaration alone", () => {
  const described = (s: z.ZodString) => s.optional().describe("x");
  const snapshot = new KindEngine(
    defineKind({
      type: "InstanceSnapshot",
      schema: z.strictObject({ name: z.string(), instance: z.string(), project: described(z.string()), socket: described(z.string()) }) as never,
      scoped: true,
      path: (i: { instance: string; name: string }) => `/1.0/instances/${encodeURIComponent(i.instance)}/snapshots/${encodeURIComponent(i.name)}`,
      renamable: true,
      fields: { stateful: { mode: "replace", empty: false } } as never,
    }),
  );
  const singleton = new KindEngine(
    defineKind({
      type: "ServerConfig",
      schema: z.strictObject({ name: z.string(), socket: described(z.string()) }) as never,
      scoped: false,
      nameIsLabel: true,
      path: () => "/1.0",
      renamable: false,
      fields: { config: { mode: "update", empty: {} } } as never,
    }),
  );

  it("a snapshot is found under its instance", async () => {
    fake.set("/1.0/instances/c1/snapshots/snap0", { name: "snap0", stateful: false });
    expect(snapshot.lookupIdentity()).toEqual(["instance", "name"]);
    expect(await snapshot.lookup({ instance: "c1", name: "snap0", socket: fake.socket })).toEqual({
      name: "snap0",
      instance: "c1",
      project: "default",
      stateful: false,
    });
    await expect(snapshot.lookup({ instance: "c1", name: "snap9", socket: fake.socket })).rejects.toThrow(
      'getInstanceSnapshot: InstanceSnapshot "snap9" (instance "c1") in project "default" does not exist',
    );
    await expect(snapshot.lookup({ name: "snap0", socket: fake.socket })).rejects.toThrow("getInstanceSnapshot: give `instance`");
  });

  it("a singleton needs no identity", async () => {
    fake.set("/1.0", { config: { "core.https_address": ":8443" } });
    expect(singleton.lookupIdentity()).toEqual([]);
    expect(await singleton.lookup({ socket: fake.socket })).toEqual({ config: { "core.https_address": ":8443" } });
    fake.remove("/1.0");
  });
});
