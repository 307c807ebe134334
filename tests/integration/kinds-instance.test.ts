// Instance CRUD against the real daemon: busybox containers in a project of their own. The project has no image
// store of its own (features.images=false), so the default project's `pulumi-incus/busybox` alias is usable, and
// its own default profile, given a root disk here (the default project's profile is shared with other suites).
import { BUSYBOX_ALIAS, closeConnections, dropProject, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

const project = `pit-instance-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();
jest.setTimeout(60_000); // stops are graceful (a few seconds each)
const BUSYBOX_FP = query(`/1.0/images/aliases/${BUSYBOX_ALIAS}`)?.target as string;

const live = (name: string) => query(`/1.0/instances/${name}${q}`);
const pid = (name: string): number => query(`/1.0/instances/${name}/state${q}`)?.pid ?? -1;
const serverKeys = (config: Record<string, string>) =>
  Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("image.") || k.startsWith("volatile.uuid") || k.startsWith("volatile.base_image")));

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.images": "false", "features.profiles": "true" } });
  incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", project);
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
});

describe("life cycle", () => {
  const c = new Resource("Instance", { name: "web", project, image: BUSYBOX_ALIAS, description: "tests", config: { "user.tier": 1 } });

  it("create makes a running container from the image", async () => {
    const outs = await c.create();
    expect(c.id).toBe(`/1.0/instances/web${q}`);
    expect(outs).toMatchObject({ name: "web", project, status: "Running", imageFingerprint: BUSYBOX_FP, architecture: "x86_64" });
    const l = live("web");
    expect(l).toMatchObject({ status: "Running", type: "container", description: "tests", profiles: ["default"] });
    expect(l.config["user.tier"]).toBe("1");
    expect(l.config["volatile.base_image"]).toBe(BUSYBOX_FP);
    expect(l.config["image.os"]).toBe("busybox");
  });

  it("diff right after create reports no change (volatile.*, image.* are the server's) and only reads", async () => {
    log.take();
    expect(await c.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/instances/web${q}`]); // never the state: it costs Incus far more than the instance
  });

  it("updates config and description in place without a restart", async () => {
    const before = pid("web");
    const keys = serverKeys(live("web").config);
    log.take();
    expect(await c.up({ ...c.args, description: "tests 2", config: { "user.tier": "2", "limits.memory": "128MiB" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/instances/web${q}`]);
    const l = live("web");
    expect(l).toMatchObject({ status: "Running", description: "tests 2" });
    expect(l.config).toMatchObject({ ...keys, "user.tier": "2", "limits.memory": "128MiB" });
    expect(pid("web")).toBe(before);
  });

  it("keeps the program's profile order", async () => {
    incus("profile", "create", "extra", "--project", project);
    incus("profile", "set", "extra", "user.from=extra", "--project", project);
    await c.up({ ...c.args, profiles: ["extra", "default"] });
    expect(live("web").profiles).toEqual(["extra", "default"]);
    await c.up({ ...c.args, profiles: ["default", "extra"] });
    const l = live("web");
    expect(l.profiles).toEqual(["default", "extra"]);
    expect(l.expanded_config["user.from"]).toBe("extra");
  });

  it("drift by hand shows in diff and up reverts it, leaving volatile.* and image.* alone", async () => {
    incus("config", "set", "web", "user.note=hand", "limits.memory=64MiB", "--project", project);
    const keys = serverKeys(live("web").config);
    expect(await c.diff()).toEqual({ changes: true });
    expect(c.printed.map((l) => l.replace(/^Instance "web" in project "[^"]+": /, "")).sort()).toEqual([
      'config["limits.memory"]: server has "64MiB", program wants "128MiB"',
      'config["user.note"]: server has "hand", program wants unset',
    ]);
    await c.up();
    const l = live("web");
    expect(l.config).toMatchObject({ ...keys, "user.tier": "2", "limits.memory": "128MiB" });
    expect(l.config).not.toHaveProperty("user.note");
  });

  it("keeps a description written between diff and update when the program does not manage it", async () => {
    const next = { name: "web", project, image: BUSYBOX_ALIAS, config: { "user.tier": "3", "limits.memory": "128MiB" } };
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await c.up({ ...next, config: c.state.config as State });
    expect(query(`/1.0/instances/web?project=${project}`).description).toBe("");
    expect(await c.diff(next)).toEqual({ changes: true });
    incus("config", "set", "web", "--property", "description=edited meanwhile", "--project", project);
    await c.update(next);
    expect(live("web")).toMatchObject({ description: "edited meanwhile", config: expect.objectContaining({ "user.tier": "3" }) });
  });

  it("a key applied at start (security.nesting) stops and starts the instance", async () => {
    const before = pid("web");
    log.take();
    await c.up({ ...c.args, config: { ...(c.args.config as object), "security.nesting": true } });
    const writes = log.takeWrites();
    expect(writes).toEqual([`PUT /1.0/instances/web/state${q}`, `PUT /1.0/instances/web${q}`, `PUT /1.0/instances/web/state${q}`]);
    expect(live("web")).toMatchObject({ status: "Running", config: expect.objectContaining({ "security.nesting": "true" }) });
    expect(pid("web")).not.toBe(before);
  });

  it("running: false stops it, running: true starts it again", async () => {
    expect(await c.up({ ...c.args, running: false })).toEqual({ changes: true });
    expect(live("web").status).toBe("Stopped");
    expect(c.state.status).toBe("Stopped");
    expect(await c.diff()).toEqual({ changes: false });
    expect(await c.up({ ...c.args, running: true })).toEqual({ changes: true });
    expect(live("web").status).toBe("Running");
  });

  it("a new type is a replacement that deletes first (same name)", async () => {
    expect(await c.diff({ ...c.args, type: "virtual-machine" })).toEqual({ changes: true, replaces: ["type"], deleteBeforeReplace: true });
  });

  it("a new name renames it, stopping and starting around the rename", async () => {
    log.take();
    expect(await c.up({ ...c.args, name: "web2" })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/instances/web/state${q}`, `POST /1.0/instances/web${q}`, `PUT /1.0/instances/web2/state${q}`]);
    expect(live("web")).toBeUndefined();
    expect(live("web2")).toMatchObject({ status: "Running", config: expect.objectContaining({ "user.tier": "3" }) });
  });

  it("another image replaces it, deleting the old one first (same name)", async () => {
    // The same image by fingerprint instead of alias: still another `image` input, so a replacement.
    const created = live("web2")?.created_at;
    expect(await c.up({ ...c.args, image: BUSYBOX_FP })).toEqual({ changes: true, replaces: ["image"], deleteBeforeReplace: true });
    const l = live("web2");
    expect(l).toMatchObject({ status: "Running", config: expect.objectContaining({ "volatile.base_image": BUSYBOX_FP, "user.tier": "3" }) });
    expect(l.created_at).not.toBe(created);
  });

  it("read returns {} after an out-of-band delete", async () => {
    expect((await c.read()).props).toMatchObject({ name: "web2", status: "Running" });
    incus("delete", "--force", "web2", "--project", project);
    expect(await c.read()).toEqual({});
  });

  it("running: false creates a stopped instance; delete leaves nothing", async () => {
    const stopped = new Resource("Instance", { name: "cold", project, image: BUSYBOX_ALIAS, running: false });
    expect(await stopped.create()).toMatchObject({ status: "Stopped" });
    expect(live("cold").status).toBe("Stopped");
    await stopped.delete();
    expect(live("cold")).toBeUndefined();
  });

  it("delete of a running instance stops it first", async () => {
    const running = new Resource("Instance", { name: "hot", project, image: BUSYBOX_ALIAS });
    await running.create();
    expect(live("hot").status).toBe("Running");
    await running.delete();
    expect(live("hot")).toBeUndefined();
  });
});

describe("failure in the middle", () => {
  it("an instance that was created but cannot start stays in state, with its id and live properties", async () => {
    // A NIC on a bridge that does not exist passes create but fails the start.
    const broken = new Resource("Instance", {
      name: "broken",
      project,
      image: BUSYBOX_ALIAS,
      devices: { eth9: { type: "nic", nictype: "bridged", parent: "nosuchbr0" } },
    });
    const err = (await rejection(broken.create())) as Error & { id?: string; properties?: Record<string, unknown> };
    expect(err.message).toMatch(/^Instance "broken" in project ".*" was created but is not ready: .*Parent device "nosuchbr0" doesn't exist/);
    expect(err.id).toBe(`/1.0/instances/broken${q}`);
    expect(err.properties).toMatchObject({ name: "broken", project, status: "Stopped" });
    expect(live("broken").status).toBe("Stopped");
    // Pulumi keeps the partial state; the next delete removes the instance.
    broken.id = err.id!;
    broken.state = err.properties!;
    await broken.delete();
    expect(live("broken")).toBeUndefined();
  });
});

describe("adopt", () => {
  beforeAll(() => {
    incus("launch", BUSYBOX_ALIAS, "made", "-c", "user.x=1", "--project", project);
  });

  it("fails clearly without adopt; adopts a matching running instance without writing to it", async () => {
    const args = { name: "made", project, image: BUSYBOX_ALIAS, config: { "user.x": "1" } };
    const err = await rejection(new Resource("Instance", args).create());
    expect(err.message).toMatch(/^Instance "made" in project ".*": it already exists; set `adopt: true`/);
    const before = pid("made");
    log.take();
    const adopted = new Resource("Instance", { ...args, adopt: true });
    expect(await adopted.create()).toMatchObject({ status: "Running" });
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/instances"))).toEqual([]);
    expect(pid("made")).toBe(before);
    await adopted.delete();
    expect(live("made")).toBeUndefined();
  });
});

describe("restarts only for keys that changed", () => {
  // BUG (provider/kinds/instance.ts aroundUpdate): with `config` absent from the program, `desired` is {} and a
  // start-time key on the server (security.nesting, set by hand) counts as "changed", so a description-only
  // update stops and starts the instance although its config is not touched.
  it("does not restart for a start-time key the program does not manage", async () => {
    const c = new Resource("Instance", { name: "calm", project, image: BUSYBOX_ALIAS, description: "a" });
    await c.create();
    incus("config", "set", "calm", "security.nesting=true", "--project", project);
    incus("restart", "calm", "--project", project, "--force");
    const before = pid("calm");
    await c.up({ ...c.args, description: "b" });
    expect(live("calm").description).toBe("b");
    expect(pid("calm")).toBe(before);
  });
});

describe("devices and life-cycle flags", () => {
  it("a proxy device on loopback and an ephemeral instance, which is gone once stopped", async () => {
    const eph = new Resource("Instance", {
      name: "eph",
      project,
      image: BUSYBOX_ALIAS,
      ephemeral: true,
      devices: { web: { type: "proxy", listen: "tcp:127.0.0.1:0", connect: "tcp:127.0.0.1:80", bind: "host" } },
    });
    await eph.create();
    expect(live("eph")).toMatchObject({ ephemeral: true, status: "Running", devices: { web: { type: "proxy", listen: "tcp:127.0.0.1:0" } } });
    log.take();
    expect(await eph.diff()).toEqual({ changes: false });
    await eph.delete(); // stops it; Incus removes an ephemeral instance itself on stop
    expect(live("eph")).toBeUndefined();
  });
});

describe("addresses", () => {
  it("outputs the addresses of the instance's interfaces, from its state, read only when it has an interface", async () => {
    const net = `pia${rand()}`.slice(0, 15);
    incus("network", "create", net, "ipv4.address=none", "ipv6.address=none");
    const inst = new Resource("Instance", {
      name: "addr",
      project,
      image: BUSYBOX_ALIAS,
      devices: { eth0: { type: "nic", network: net, name: "eth0" } },
    });
    try {
      const outs = await inst.create();
      expect(outs.ipv4Addresses).toEqual([]); // no address on an address-less bridge; link-local ones are left out
      // A loopback-range address on eth0 (sends nothing anywhere) stands in for one a DHCP server would give.
      incus("exec", "addr", "--project", project, "--", "ip", "addr", "add", "127.1.2.3/32", "dev", "eth0");
      log.take();
      const res = await inst.read();
      expect(res.props?.ipv4Addresses).toEqual(["127.1.2.3"]);
      expect(log.take()).toEqual([`GET /1.0/instances/addr?project=${project}`, `GET /1.0/instances/addr/state?project=${project}`]);
    } finally {
      await inst.delete();
      incus("network", "delete", net);
    }
  });
});
