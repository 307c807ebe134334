// Project CRUD against the real daemon. Projects are global; every name here carries a random suffix.
import { BUSYBOX_ALIAS, closeConnections, dropProject, incus, query, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

const base = `pit-project-${rand()}`;
const renamed = `${base}-r`;
const log = requestLog();
const FEATURES = { "features.images": "true", "features.profiles": "true", "features.storage.volumes": "true", "features.storage.buckets": "true" };

afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const name of [base, renamed, `${base}-adopt`, `${base}-full`, `${base}-all`]) dropProject(name);
});

describe("life cycle", () => {
  const p = new Resource("Project", { name: base, description: "tests", config: { "limits.containers": 3 } });

  it("create makes the project with Incus's default features and the program's config", async () => {
    const outs = await p.create();
    expect(p.id).toBe(`/1.0/projects/${base}`);
    expect(outs).toMatchObject({ name: base, config: { "limits.containers": "3" }, usedBy: [`/1.0/profiles/default?project=${base}`] });
    expect(query(`/1.0/projects/${base}`)).toMatchObject({ description: "tests", config: { ...FEATURES, "limits.containers": "3" } });
  });

  it("diff right after create reports no change (features.* are the server's) and only reads", async () => {
    log.take();
    expect(await p.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/projects/${base}`]);
  });

  it("updates in place and keeps every features.* key (and so the project's default profile)", async () => {
    log.take();
    expect(await p.up({ name: base, description: "tests 2", config: { "limits.containers": "5", "limits.instances": "6" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/projects/${base}`]);
    expect(query(`/1.0/projects/${base}`)).toMatchObject({
      description: "tests 2",
      config: { ...FEATURES, "limits.containers": "5", "limits.instances": "6" },
    });
    expect(query(`/1.0/profiles/default?project=${base}`)).toBeDefined();
  });

  it("a features.* key the program sets is compared and written", async () => {
    await p.up({ ...p.args, config: { "limits.containers": "5", "limits.instances": "6", "features.images": "false" } });
    expect(query(`/1.0/projects/${base}`).config).toEqual({ ...FEATURES, "features.images": "false", "limits.containers": "5", "limits.instances": "6" });
    expect(await p.diff()).toEqual({ changes: false });
  });

  it("drift made by hand shows in diff and up reverts it, leaving features.* alone", async () => {
    incus("project", "set", base, "limits.containers=9", "user.note=hand");
    expect(await p.diff()).toEqual({ changes: true });
    expect(p.printed.length).toBe(2);
    await p.up();
    expect(query(`/1.0/projects/${base}`).config).toEqual({ ...FEATURES, "features.images": "false", "limits.containers": "5", "limits.instances": "6" });
  });

  it("keeps a description written between diff and update when the program does not manage it", async () => {
    const next = { name: base, config: { "limits.containers": "4", "limits.instances": "6", "features.images": "false" } };
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await p.up({ ...next, config: p.state.config as State });
    expect(query(`/1.0/projects/${base}`).description).toBe("");
    expect(await p.diff(next)).toEqual({ changes: true });
    incus("project", "set", base, "--property", "description=edited meanwhile");
    await p.update(next);
    expect(query(`/1.0/projects/${base}`)).toMatchObject({ description: "edited meanwhile", config: { "limits.containers": "4" } });
  });

  it("rename fails with Incus's reason while the project holds something, and changes nothing", async () => {
    incus("profile", "create", "extra", "--project", base);
    const err = await rejection(p.up({ ...p.args, name: renamed }));
    expect(err.message).toMatch(new RegExp(`^Project "${base}" \\(renaming to "${renamed}"\\): .*(empty|in use)`, "i"));
    expect(query(`/1.0/projects/${base}`)).toBeDefined();
    expect(query(`/1.0/projects/${renamed}`)).toBeUndefined();
    incus("profile", "delete", "extra", "--project", base);
  });

  it("renames an empty project in place", async () => {
    log.take();
    expect(await p.up({ ...p.args, name: renamed })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`POST /1.0/projects/${base}`]);
    expect(query(`/1.0/projects/${base}`)).toBeUndefined();
    expect(query(`/1.0/projects/${renamed}`)).toMatchObject({ config: { "limits.containers": "4", "features.images": "false" } });
    expect(await p.diff()).toEqual({ changes: false });
  });

  it("read returns the live project, and {} after an out-of-band delete", async () => {
    expect((await p.read()).props).toMatchObject({ name: renamed, config: { "limits.containers": "4" } });
    incus("project", "delete", renamed);
    expect(await p.read()).toEqual({});
  });
});

describe("delete", () => {
  const full = `${base}-full`;

  it("refuses a project that still holds objects, unless deleteContents is set", async () => {
    const p = new Resource("Project", { name: full });
    await p.create();
    incus("profile", "create", "inside", "--project", full);
    const err = await rejection(p.delete());
    // What is left and the way out; no stack frames of the provider.
    expect(err.message).toBe(
      `Project "${full}": it still holds objects (profiles/inside); delete them first, or set \`deleteContents: true\` to delete them with the project`,
    );
    expect(err.stack).toBe(err.message);
    expect(query(`/1.0/projects/${full}`)).toBeDefined();

    await p.update({ name: full, deleteContents: true });
    await p.delete();
    expect(query(`/1.0/projects/${full}`)).toBeUndefined();
  });
});

describe("deleteContents empties every project-scoped kind", () => {
  const all = `${base}-all`;

  it("network zones with records, ACLs, volumes with snapshots, profiles and instances go, in dependency order", async () => {
    const p = new Resource("Project", {
      name: all,
      config: { "features.networks": true, "features.networks.zones": true, "features.images": false },
      deleteContents: true,
    });
    await p.create();
    const zone = `${all}.example.org`;
    incus("network", "zone", "create", zone, "--project", all);
    incus("network", "zone", "record", "create", zone, "www", "--project", all);
    incus("network", "acl", "create", "web", "--project", all);
    incus("storage", "volume", "create", "default", "v1", "--project", all);
    incus("storage", "volume", "snapshot", "create", "default", "v1", "s0", "--project", all);
    // A profile that uses the volume: it must go before the volume.
    incus("profile", "create", "inside", "--project", all);
    incus("profile", "device", "add", "inside", "data", "disk", "pool=default", "source=v1", "path=/data", "--project", all);
    incus("profile", "device", "add", "inside", "root", "disk", "pool=default", "path=/", "--project", all);
    incus("create", BUSYBOX_ALIAS, "c1", "--project", all, "--profile", "default", "--profile", "inside");
    await p.delete();
    expect(query(`/1.0/projects/${all}`)).toBeUndefined();
    expect(query(`/1.0/network-zones/${zone}?project=${all}`)).toBeUndefined();
  });
});

describe("deleteContents in a project that uses the default project's profiles and images", () => {
  const shared = `${base}-shared`;
  // What a force delete would touch (used_by and last_used_at move with other tests' instances: left out).
  const defaultsOf = () => {
    const { description, config, devices } = query("/1.0/profiles/default");
    return {
      profile: { description, config, devices },
      images: (query<{ fingerprint: string }[]>("/1.0/images?recursion=1") ?? []).map((i) => i.fingerprint).sort(),
    };
  };

  it("deletes the project's own instances, profiles and volumes, and nothing of the default project", async () => {
    const before = defaultsOf();
    const p = new Resource("Project", {
      name: shared,
      config: { "features.profiles": false, "features.images": false, "features.storage.volumes": true },
      deleteContents: true,
    });
    await p.create();
    incus("create", BUSYBOX_ALIAS, "c1", "--project", shared);
    incus("start", "c1", "--project", shared);
    incus("create", BUSYBOX_ALIAS, "c2", "--project", shared);
    incus("snapshot", "create", "c2", "s0", "--project", shared);
    incus("storage", "volume", "create", "default", "v1", "--project", shared);
    incus("storage", "volume", "snapshot", "create", "default", "v1", "s0", "--project", shared);
    await p.delete();
    expect(query(`/1.0/projects/${shared}`)).toBeUndefined();
    // Incus's own force delete would have reset the default project's default profile here (6.0.4).
    expect(defaultsOf()).toEqual(before);
  });
});

describe("adopt", () => {
  const name = `${base}-adopt`;
  beforeAll(() => {
    incus("project", "create", name, "-c", "limits.containers=2");
  });

  it("fails clearly without adopt, and adopts a matching project without writing to it", async () => {
    const err = await rejection(new Resource("Project", { name, config: { "limits.containers": "2" } }).create());
    expect(err.message).toMatch(/^Project ".*-adopt": it already exists; set `adopt: true`/);
    log.take();
    const adopted = new Resource("Project", { name, config: { "limits.containers": 2 }, adopt: true });
    await adopted.create();
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/projects"))).toEqual([]);
    await adopted.delete();
    expect(query(`/1.0/projects/${name}`)).toBeUndefined();
  });
});
