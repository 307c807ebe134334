// The example programs users read first (examples/web-tier, examples/adopt), deployed for real through the
// Automation API: what each `up` makes on the daemon, that a second `up` changes and writes nothing, and what
// `destroy` leaves (nothing it managed; never an object it only looked up).
import { dropLeftovers, incus, incusJson, marked, type TestStack, exampleStack, uniqueSuffix } from "./harness";

jest.setTimeout(180_000);

const writesOnly = (t: TestStack) => t.writes(t.takeRequests());

describe("examples/web-tier", () => {
  const prefix = `pi-web-${uniqueSuffix()}`;
  const q = `project=${prefix}`;

  afterAll(() => dropLeftovers(prefix));

  it("deploys project, profile, volume and instances from the default project's image; edits; destroys all", async () => {
    const t = await exampleStack("web-tier", { prefix, instances: "3" });
    try {
      const preview = await t.stack.preview();
      expect(preview.changeSummary).toEqual({ create: 8 }); // stack, its identity, project, profile, volume, 3 instances
      expect(writesOnly(t)).toEqual([]);

      const up = await t.stack.up();
      expect(up.summary.resourceChanges).toEqual({ create: 8 });
      const out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
      expect(out.projectName).toBe(prefix);
      expect(out.profileName).toBe("web");
      expect(out.volumeName).toBe("content");
      expect(out.running).toBe(2);
      expect(out.nodes).toEqual({
        "web-1": { status: "Running", role: "web" },
        "web-2": { status: "Running", role: "web" },
        "web-3": { status: "Stopped", role: "standby" },
      });
      expect(out.effectiveLimits).toEqual({ "limits.cpu": "1", "limits.memory": "64MiB", "limits.processes": "200" });
      // The default project's image served the instances (the project has no image store of its own).
      const alias = incusJson(`/1.0/images/aliases/pulumi-incus/busybox`);
      expect(out.imageFingerprint).toBe(alias.target);

      // One POST per object and nothing else: the instances that should run start in their create operation.
      const writes = writesOnly(t);
      expect(writes.filter((w) => w.startsWith("POST /1.0/instances?"))).toHaveLength(3);
      expect(writes.filter((w) => w.startsWith("PUT /1.0/instances/"))).toEqual([]);
      expect(incusJson(`/1.0/instances/web-3?${q}`)?.status).toBe("Stopped");
      expect(writes.filter((w) => !/^(POST|PUT) /.test(w))).toEqual([]);

      // What the daemon has.
      const project = incusJson(`/1.0/projects/${prefix}`);
      expect(project.config).toMatchObject({
        "features.images": "false",
        "features.profiles": "true",
        "features.storage.volumes": "true",
      });
      const profile = incusJson(`/1.0/profiles/web?${q}`);
      expect(profile.config).toEqual(marked({ "limits.cpu": "1", "limits.memory": "64MiB", "limits.processes": "200", "boot.autostart": "false" }));
      expect(profile.devices).toEqual({ root: { type: "disk", path: "/", pool: "default" } });
      const volume = incusJson(`/1.0/storage-pools/default/volumes/custom/content?${q}`);
      expect(volume.config["user.purpose"]).toBe("web content");
      expect([...volume.used_by].sort()).toEqual([1, 2, 3].map((i) => `/1.0/instances/web-${i}?${q}`));
      const instances = incusJson<any[]>(`/1.0/instances?recursion=1&${q}`)!;
      expect(instances.map((i) => [i.name, i.status]).sort()).toEqual([
        ["web-1", "Running"],
        ["web-2", "Running"],
        ["web-3", "Stopped"],
      ]);
      for (const i of instances) {
        expect(i.profiles).toEqual(["web"]);
        expect(i.devices.content).toEqual({ type: "disk", pool: "default", source: "content", path: "/srv/www", readonly: "true" });
        expect(i.config["volatile.base_image"]).toBe(alias.target);
        expect(i.expanded_config["limits.memory"]).toBe("64MiB");
        expect(i.expanded_devices.root).toEqual({ type: "disk", path: "/", pool: "default" });
      }

      // A second up: nothing to do, and nothing but reads.
      const again = await t.stack.up();
      expect(again.summary.resourceChanges).toEqual({ same: 8 });
      // At most one read per resource (a list may answer several instances at once), and no write.
      const reads = t.takeRequests().filter((r) => !r.startsWith("GET /1.0/events"));
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.length).toBeLessThanOrEqual(6);
      expect(t.writes(reads)).toEqual([]);

      // An edit in the program (more memory) and drift on the server (someone starts the standby): the next up
      // PUTs the profile and stops the standby again; nothing else is written.
      await t.stack.setConfig("memory", { value: "96MiB" });
      incus("start", "web-3", "--project", prefix);
      const edit = await t.stack.up();
      expect(edit.summary.resourceChanges).toEqual({ update: 2, same: 6 });
      expect(writesOnly(t).sort()).toEqual([`PUT /1.0/instances/web-3/state?${q}`, `PUT /1.0/profiles/web?${q}`]);
      expect(incusJson(`/1.0/profiles/web?${q}`).config["limits.memory"]).toBe("96MiB");
      expect(incusJson(`/1.0/instances/web-1?${q}`).expanded_config["limits.memory"]).toBe("96MiB");
      expect(incusJson(`/1.0/instances/web-3?${q}`).status).toBe("Stopped");

      const destroy = await t.stack.destroy();
      expect(destroy.summary.resourceChanges).toEqual({ delete: 8 });
      expect(incusJson(`/1.0/projects/${prefix}`)).toBeNull();
      const everywhere = incusJson<any[]>(`/1.0/instances?recursion=1&all-projects=true`)!;
      expect(everywhere.filter((i) => i.project === prefix)).toEqual([]);
      const volumes = incusJson<any[]>(`/1.0/storage-pools/default/volumes?recursion=1&all-projects=true`)!;
      expect(volumes.filter((v) => v.project === prefix)).toEqual([]);
    } finally {
      await t.cleanup();
    }
  });
});

describe("examples/adopt", () => {
  const s = uniqueSuffix();
  const existing = `pi-adopt-${s}`;
  const shared = `pi-shared-${s}`;
  const derived = `pi-derived-${s}`;
  let t: TestStack;

  beforeAll(async () => {
    // Made by hand, the way objects that predate the stack are: a description, a key the program does not set,
    // and a device (a field the program does not manage at all).
    incus("profile", "create", existing, "--description", "made by hand");
    incus("profile", "set", existing, "user.origin=cli", "limits.cpu=4");
    incus("profile", "device", "add", existing, "blocker", "none");
    incus("profile", "create", shared, "--description", "team base");
    incus("profile", "set", shared, "limits.cpu=2", "user.team=blue");
    t = await exampleStack("adopt", { existingProfile: existing, sharedProfile: shared, derivedProfile: derived, adopt: "false" });
  });

  afterAll(async () => {
    try {
      await t?.cleanup();
    } finally {
      for (const name of [existing, shared, derived]) {
        try {
          incus("profile", "delete", name);
        } catch {
          /* already gone */
        }
      }
    }
  });

  it("without adopt, refuses to take over the existing profile and leaves it untouched", async () => {
    await expect(t.stack.up()).rejects.toThrow(/Profile "pi-adopt-[^"]+".*already exists; set `adopt: true`/);
    const live = incusJson(`/1.0/profiles/${existing}`);
    expect(live.description).toBe("made by hand");
    expect(live.config).toEqual({ "user.origin": "cli", "limits.cpu": "4" });
    expect(t.writes(t.takeRequests()).filter((w) => w.includes(existing))).toEqual([]);
  });

  it("with adopt, manages the existing profile: one PUT makes it what the program says", async () => {
    await t.stack.setConfig("adopt", { value: "true" });
    const up = await t.stack.up();
    // The failed up may or may not have got to the derived profile (it does not wait for the adoption): either
    // way, now the adopted profile and the derived one are both in the stack (with the stack and its identity).
    const changes = up.summary.resourceChanges!;
    expect((changes.create ?? 0) + (changes.same ?? 0)).toBe(4);
    expect(changes.create).toBeGreaterThanOrEqual(1);
    expect(up.outputs.adoptedName.value).toBe(existing);
    // Adoption writes to the existing object once: the POST answers "already exists", then one PUT.
    const writes = writesOnly(t);
    expect(writes.filter((w) => w.includes(existing))).toEqual([`PUT /1.0/profiles/${existing}`]);
    expect(writes.filter((w) => !w.includes(existing)).every((w) => w === "POST /1.0/profiles")).toBe(true);
    const live = incusJson(`/1.0/profiles/${existing}`);
    expect(live.description).toBe("adopted by pulumi-incus");
    // The program's keys are written; a key the profile had before it was adopted and the program does not name
    // stays (it is the user's until the program names it), and so does the device (devices are not managed).
    expect(live.config).toEqual({ "user.managed-by": "pulumi", "limits.cpu": "1", "user.origin": "cli" });
    expect(live.devices).toEqual({ blocker: { type: "none" } });
  });

  it("a get lookup reads the live profile without managing it, and its values feed other resources", async () => {
    const outputs = await t.stack.outputs();
    expect(outputs.sharedProfile.value.name).toBe(shared);
    expect(outputs.sharedProfile.value.usedBy).toEqual([]);
    // The lookup's own fields are the live object's (DESIGN.md: read and `get` return the live object).
    expect(outputs.sharedProfile.value.description).toBe("team base");
    expect(outputs.sharedProfile.value.config).toEqual({ "limits.cpu": "2", "user.team": "blue" });
    expect(incusJson(`/1.0/profiles/${derived}`).config).toEqual(marked({ "limits.cpu": "2", "user.team": "blue", "user.derived-from": shared }));
  });

  it("a second up changes nothing and writes nothing", async () => {
    const up = await t.stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 4 }); // stack, its identity, adopted, derived (the read of `shared` is no change)
    const requests = t.takeRequests();
    // Each profile is read: by its own GET, or (when the reads come close together) from one list of profiles, as
    // the provider's read cache allows.
    const listed = requests.includes("GET /1.0/profiles?recursion=1");
    for (const name of [existing, shared]) expect(listed || requests.includes(`GET /1.0/profiles/${name}`)).toBe(true);
    expect(t.writes(requests)).toEqual([]);
  });

  it("destroy deletes the adopted profile (it is managed now) and never the looked-up one", async () => {
    const destroy = await t.stack.destroy();
    expect(destroy.summary.resourceChanges?.delete).toBe(4); // stack, its identity, adopted, derived
    const writes = writesOnly(t);
    expect(writes.sort()).toEqual([`DELETE /1.0/profiles/${derived}`, `DELETE /1.0/profiles/${existing}`].sort());
    expect(incusJson(`/1.0/profiles/${existing}`)).toBeNull();
    expect(incusJson(`/1.0/profiles/${derived}`)).toBeNull();
    expect(incusJson(`/1.0/profiles/${shared}`)?.description).toBe("team base");
  });
});

describe("examples/cloud-init", () => {
  const prefix = `pi-ci-${uniqueSuffix()}`;
  const q = `project=${prefix}`;

  afterAll(() => dropLeftovers(prefix));

  it("multi-line cloud-init values and snapshot schedules are stored byte for byte and never diff", async () => {
    const t = await exampleStack("cloud-init", { prefix, instances: "1" });
    try {
      const up = await t.stack.up();
      expect(up.summary.resourceChanges).toEqual({ create: 5 }); // stack, its identity, project, profile, instance
      const profile = incusJson(`/1.0/profiles/cloud?${q}`);
      const userData: string = profile.config["cloud-init.user-data"];
      expect(userData.startsWith("#cloud-config\n")).toBe(true);
      expect(userData.endsWith("http://incus/1.0]\n")).toBe(true);
      expect(userData.length).toBe(up.outputs.userDataBytes.value);
      expect(profile.config).toMatchObject({ "snapshots.schedule": "@daily", "snapshots.schedule.stopped": "false", "snapshots.expiry": "2w" });
      expect(incusJson(`/1.0/instances/node-1?${q}`).config["cloud-init.vendor-data"]).toBe("#cloud-config\nhostname: node-1\n");
      t.takeRequests();

      const again = await t.stack.up();
      expect(again.summary.resourceChanges).toEqual({ same: 5 });
      expect(writesOnly(t)).toEqual([]);

      // One more package: only the profile's user-data changes, in place.
      await t.stack.setConfig("packages", { value: "curl,jq" });
      const edit = await t.stack.up();
      expect(edit.summary.resourceChanges).toEqual({ update: 1, same: 4 });
      expect(writesOnly(t)).toEqual([`PUT /1.0/profiles/cloud?${q}`]);
      expect(incusJson(`/1.0/profiles/cloud?${q}`).config["cloud-init.user-data"]).toContain("  - jq\n");

      const destroy = await t.stack.destroy();
      expect(destroy.summary.resourceChanges).toEqual({ delete: 5 });
      expect(incusJson(`/1.0/projects/${prefix}`)).toBeNull();
    } finally {
      await t.cleanup();
    }
  });
});
