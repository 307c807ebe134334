// Lookups (getXxx, getXxxs) against the real daemon, the way a program calls them (the SDK's functions, reaching
// Incus through the incus CLI's config and the stack's incus:* settings): each kind found with every field as
// Incus has it, a missing object's error for every kind in `kinds`, and projects (named, from stack config, and one
// whose feature is off so Incus serves the default project's object).
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";
import { engineFor, type KindName, kinds } from "pulumi-incus/provider";
import { schemaShape } from "../../provider/engine/inputs";
import { BUSYBOX_ALIAS, closeConnections, dropIfPresent, dropProject, incus as cli, query, queryWrite, rand, requestLog } from "./kinds-harness";

jest.setTimeout(120_000);

const s = rand();
const project = `pit-lookup-${s}`;
/** A project that keeps every feature off: Incus serves the default project's profiles there. */
const bare = `pit-lookupb-${s}`;
const net = `pil${s}`;
const log = requestLog();
const busybox = query<{ target: string }>(`/1.0/images/aliases/${encodeURIComponent(BUSYBOX_ALIAS)}`)!.target;

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", {
    name: project,
    description: "lookups",
    config: { "features.images": "false", "features.profiles": "true", "features.storage.volumes": "true", "user.owner": "lookups" },
  });
  queryWrite("POST", "/1.0/projects", {
    name: bare,
    config: { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" },
  });
  cli("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", project);
  queryWrite("POST", `/1.0/profiles?project=${project}`, {
    name: "web",
    description: "web tier",
    config: { "limits.cpu": "1", "user.tier": "web" },
    devices: {},
  });
  queryWrite("POST", `/1.0/storage-pools/default/volumes/custom?project=${project}`, { name: "data", content_type: "block", config: { size: "8MiB" } });
  queryWrite("POST", "/1.0/networks", { name: net, type: "bridge", description: "lookup bridge", config: { "ipv4.address": "none", "ipv6.address": "none" } });
  for (const [name, role] of [
    ["web-1", "web"],
    ["web-2", "web"],
    ["db-1", "db"],
  ]) {
    cli("init", BUSYBOX_ALIAS, name, "--project", project, "-c", `user.role=${role}`, "-c", "boot.autostart=false");
  }
});

afterAll(async () => {
  log.restore();
  pulumi.runtime.setConfig("incus:project", "");
  await closeConnections();
  dropProject(project);
  dropProject(bare);
  dropIfPresent(`/1.0/networks/${net}`);
});

describe("each kind is found, every field as Incus has it", () => {
  it("Project", async () => {
    const p = await incus.getProject({ name: project });
    // features.* are the server's keys (as for Kind.get): the program's own config is reported.
    expect(p).toEqual({ name: project, description: "lookups", config: { "user.owner": "lookups" }, usedBy: p.usedBy });
    expect(p.usedBy).toEqual(expect.arrayContaining([`/1.0/profiles/web?project=${project}`]));
  });

  it("Profile, with one GET", async () => {
    log.take();
    const p = await incus.getProfile({ name: "web", project });
    expect(p).toEqual({ name: "web", project, description: "web tier", config: { "limits.cpu": "1", "user.tier": "web" }, devices: {}, usedBy: [] });
    expect(log.take()).toEqual([`GET /1.0/profiles/web?project=${project}`]);
  });

  it("Network", async () => {
    const n = await incus.getNetwork({ name: net });
    expect(n).toMatchObject({
      name: net,
      project: "default",
      type: "bridge",
      description: "lookup bridge",
      config: { "ipv4.address": "none", "ipv6.address": "none" },
      status: "Created",
    });
  });

  it("StoragePool", async () => {
    const p = await incus.getStoragePool({ name: "default" });
    expect(p).toMatchObject({ name: "default", driver: query<{ driver: string }>("/1.0/storage-pools/default")!.driver, status: "Created" });
    expect(Object.keys(p)).not.toContain("project");
  });

  it("StorageVolume, under its pool", async () => {
    const v = await incus.getStorageVolume({ pool: "default", name: "data", project });
    expect(v).toMatchObject({ name: "data", pool: "default", project, contentType: "block", config: { size: "8MiB" }, usedBy: [] });
    expect(v.createdAt).toMatch(/^\d{4}-/);
  });

  it("Image, by alias, by fingerprint and by a fingerprint's prefix", async () => {
    const byAlias = await incus.getImage({ alias: BUSYBOX_ALIAS, project: "default" });
    expect(byAlias).toMatchObject({
      fingerprint: busybox,
      project: "default",
      aliases: [BUSYBOX_ALIAS],
      imageType: "container",
      properties: { os: "busybox" },
    });
    expect(byAlias.size).toBeGreaterThan(0);
    expect(Object.keys(byAlias)).not.toContain("name");
    expect(await incus.getImage({ fingerprint: busybox })).toEqual(byAlias);
    expect(await incus.getImage({ fingerprint: busybox.slice(0, 12) })).toEqual(byAlias);
  });

  it("Instance", async () => {
    const i = await incus.getInstance({ name: "web-1", project });
    expect(i).toMatchObject({
      name: "web-1",
      project,
      type: "container",
      status: "Stopped",
      profiles: ["default"],
      config: { "user.role": "web", "boot.autostart": "false" },
      imageFingerprint: busybox,
      ipv4Addresses: [],
      // As a program would declare it (pulumi import, pulumi-incus generate): its image, and that it is stopped.
      image: busybox,
      running: false,
    });
    expect(Object.keys(i)).not.toEqual(expect.arrayContaining(["fileDigests"]));
  });
});

describe("a missing object fails naming the kind, its identity and the project", () => {
  it("for every kind in `kinds` (made-up identity in the test project)", async () => {
    const sdk = incus as unknown as Record<string, (args: Record<string, string>) => Promise<unknown>>;
    for (const type of Object.keys(kinds) as KindName[]) {
      // A value the field's rule accepts (a name, an address, a fingerprint) that no object has.
      const shape = schemaShape(kinds[type].schema);
      const madeUp = (f: string) =>
        [`nope-${s}`, "0".repeat(64), "192.0.2.254", "65000"].find((v) => !shape[f] || shape[f].safeParse(v).success) ?? `nope-${s}`;
      const identity = Object.fromEntries(
        engineFor(type)
          .lookupIdentity()
          .map((f) => [f, f === "fingerprint" ? "0".repeat(64) : madeUp(f)]),
      );
      // A singleton (no identity fields) always exists: nothing to miss.
      if (Object.keys(identity).length === 0) continue;
      const args = { ...identity, ...(kinds[type].scoped ? { project } : {}) };
      const err = await sdk[`get${type}`](args).then(
        () => new Error("found"),
        (e: Error) => e,
      );
      // The shared daemon is no cluster: Incus refuses cluster-only lookups (groups) before looking, and says so.
      const clusterOnly = (kinds[type] as { requires?: string[] }).requires?.some((r) => r.startsWith("clustering"));
      const missing = clusterOnly && /not clustered/i.test(err.message) ? "" : "does not exist \\(Incus answered: ";
      expect(`${type}: ${err.message}`).toMatch(new RegExp(`^${type}: get${type}: ${type} .*${missing}`));
      if (kinds[type].scoped) expect(err.message).toContain(`in project "${project}"`);
      for (const v of Object.values(identity)) expect(err.message).toContain(v);
    }
  });

  it("a volume's message names its pool; an alias nobody has is named as such", async () => {
    await expect(incus.getStorageVolume({ pool: "default", name: "gone", project })).rejects.toThrow(
      `getStorageVolume: StorageVolume "gone" (pool "default") in project "${project}" does not exist`,
    );
    await expect(incus.getImage({ alias: `no/such-${s}` })).rejects.toThrow(`getImage: no image with alias "no/such-${s}" in project "default"`);
  });

  it("a project that does not exist", async () => {
    await expect(incus.getProfile({ name: "default", project: `pit-none-${s}` })).rejects.toThrow(
      new RegExp(`^getProfile: Profile "default" in project "pit-none-${s}" does not exist \\(Incus answered: .*[Pp]roject not found`),
    );
  });
});

describe("projects", () => {
  it("the profile of the same name differs by project", async () => {
    const own = await incus.getProfile({ name: "default", project });
    const shared = await incus.getProfile({ name: "default", project: "default" });
    expect(own.project).toBe(project);
    expect(shared.project).toBe("default");
    expect(own.description).not.toEqual(shared.description);
  });

  it("without `project`, the stack's incus:project is used, as for resources", async () => {
    pulumi.runtime.setConfig("incus:project", project);
    try {
      expect((await incus.getProfile({ name: "web" })).project).toBe(project);
      await expect(incus.getProfile({ name: "web", project: "default" })).rejects.toThrow(`Profile "web" in project "default" does not exist`);
    } finally {
      pulumi.runtime.setConfig("incus:project", "");
    }
  });

  it("a project with the kind's feature off: Incus answers with the default project's object, and the result says so", async () => {
    const p = await incus.getProfile({ name: "default", project: bare });
    expect(p.project).toBe("default");
    expect(p.description).toBe((await incus.getProfile({ name: "default" })).description);
  });
});

describe("list lookups", () => {
  it("getInstances: all of a project's, in one request, then by name prefix, config and status", async () => {
    log.take();
    const all = await incus.getInstances({ project });
    expect(log.take()).toEqual([`GET /1.0/instances?project=${project}&recursion=2`]);
    expect(all.map((i) => i.name).sort()).toEqual(["db-1", "web-1", "web-2"]);
    expect(all.every((i) => i.project === project && i.status === "Stopped")).toBe(true);
    expect((await incus.getInstances({ project, namePrefix: "web-" })).map((i) => i.name).sort()).toEqual(["web-1", "web-2"]);
    expect((await incus.getInstances({ project, config: { "user.role": "db" } })).map((i) => i.name)).toEqual(["db-1"]);
    expect(await incus.getInstances({ project, status: "running" })).toEqual([]);
    expect(await incus.getInstances({ project: bare })).toEqual([]);
  });

  it("getImages: by alias and by properties", async () => {
    const byAlias = await incus.getImages({ alias: BUSYBOX_ALIAS });
    expect(byAlias.map((i) => i.fingerprint)).toEqual([busybox]);
    const byProps = await incus.getImages({ properties: { os: "busybox" } });
    expect(byProps.map((i) => i.fingerprint)).toContain(busybox);
    expect(byProps.every((i) => i.properties.os === "busybox")).toBe(true);
    expect(await incus.getImages({ properties: { os: `none-${s}` } })).toEqual([]);
  });
});
