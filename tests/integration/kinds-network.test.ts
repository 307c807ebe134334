// Network CRUD against the real daemon. Bridges only work in the default project here (other projects need OVN),
// and every bridge has no addresses, so nothing leaves the host.
import { closeConnections, dropIfPresent, incus, query, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

// Interface names are at most 15 characters: "pit" + 6 hex + "r" fits.
const name = `pit${rand()}`;
const renamed = `${name}r`;
const adoptName = `pia${rand()}`;
const log = requestLog();
const NO_ADDRESSES = { "ipv4.address": "none", "ipv6.address": "none" };

afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const n of [name, renamed, adoptName]) dropIfPresent(`/1.0/networks/${n}`);
});

describe("life cycle", () => {
  const net = new Resource("Network", { name, project: "default", description: "test bridge", config: { ...NO_ADDRESSES, "bridge.mtu": 1400 } });

  it("create makes an address-less bridge with string config", async () => {
    const outs = await net.create();
    expect(net.id).toBe(`/1.0/networks/${name}`);
    expect(outs).toMatchObject({ name, project: "default", status: "Created", managedConfig: { ...NO_ADDRESSES, "bridge.mtu": "1400" } });
    expect(query(`/1.0/networks/${name}`)).toMatchObject({
      type: "bridge",
      managed: true,
      description: "test bridge",
      config: { ...NO_ADDRESSES, "bridge.mtu": "1400" },
    });
  });

  it("diff right after create reports no change and only reads", async () => {
    log.take();
    expect(await net.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/networks/${name}`]);
  });

  it("updates config and description in place", async () => {
    log.take();
    expect(await net.up({ ...net.args, description: "test bridge 2", config: { ...NO_ADDRESSES, "bridge.mtu": "1500", "user.purpose": "tests" } })).toEqual({
      changes: true,
    });
    expect(log.takeWrites()).toEqual([`PUT /1.0/networks/${name}`]);
    expect(query(`/1.0/networks/${name}`)).toMatchObject({
      description: "test bridge 2",
      config: { ...NO_ADDRESSES, "bridge.mtu": "1500", "user.purpose": "tests" },
    });
  });

  it("a new type is a replacement that deletes first (same name)", async () => {
    expect(await net.diff({ ...net.args, type: "macvlan" })).toEqual({ changes: true, replaces: ["type"], deleteBeforeReplace: true });
    expect(await net.diff({ ...net.args, type: "bridge" })).toEqual({ changes: false });
  });

  it("a new name is a rename in place", async () => {
    log.take();
    expect(await net.up({ ...net.args, name: renamed })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`POST /1.0/networks/${name}`]);
    expect(query(`/1.0/networks/${name}`)).toBeUndefined();
    expect(query(`/1.0/networks/${renamed}`)).toMatchObject({ config: { "bridge.mtu": "1500" } });
  });

  it("drift by hand shows in diff and up reverts it, a key added by hand (ipv4.nat) included", async () => {
    incus("network", "set", renamed, "ipv4.nat=true", "user.note=hand", "bridge.mtu=1300");
    expect(await net.diff()).toEqual({ changes: true });
    expect(net.printed.map((l) => l.replace(/^Network "[^"]+" in project "default": /, "")).sort()).toEqual([
      'config["bridge.mtu"]: server has "1300", program wants "1500"',
      'config["ipv4.nat"]: server has "true", program wants unset',
      'config["user.note"]: server has "hand", program wants unset',
    ]);
    await net.up();
    expect(query(`/1.0/networks/${renamed}`).config).toEqual({ ...NO_ADDRESSES, "bridge.mtu": "1500", "user.purpose": "tests" });
    expect(await net.diff()).toEqual({ changes: false });
  });

  it("keeps a description written between diff and update when the program does not manage it", async () => {
    const next = { name: renamed, project: "default", config: { ...NO_ADDRESSES, "bridge.mtu": "1450" } };
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await net.up({ ...next, config: net.state.config as State });
    expect(query(`/1.0/networks/${renamed}`).description).toBe("");
    expect(await net.diff(next)).toEqual({ changes: true });
    incus("network", "set", renamed, "--property", "description=edited meanwhile");
    await net.update(next);
    expect(query(`/1.0/networks/${renamed}`)).toMatchObject({ description: "edited meanwhile", config: { "bridge.mtu": "1450" } });
  });

  it("read returns {} after an out-of-band delete; delete leaves nothing", async () => {
    expect((await net.read()).props).toMatchObject({ name: renamed, usedBy: [] });
    incus("network", "delete", renamed);
    expect(await net.read()).toEqual({});
    await net.create();
    expect(query(`/1.0/networks/${renamed}`)).toBeDefined();
    await net.delete();
    expect(query(`/1.0/networks/${renamed}`)).toBeUndefined();
  });
});

describe("adopt", () => {
  beforeAll(() => {
    incus("network", "create", adoptName, "ipv4.address=none", "ipv6.address=none");
  });

  it("fails clearly without adopt; adopts a matching bridge without writing to it", async () => {
    const args = { name: adoptName, config: NO_ADDRESSES };
    const err = await rejection(new Resource("Network", args).create());
    expect(err.message).toBe(
      `Network "${adoptName}" in project "default": it already exists; set \`adopt: true\` to manage the existing object, or choose another name`,
    );
    log.take();
    const adopted = new Resource("Network", { ...args, adopt: true });
    await adopted.create();
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/networks"))).toEqual([]);
    await adopted.delete();
    expect(query(`/1.0/networks/${adoptName}`)).toBeUndefined();
  });
});
