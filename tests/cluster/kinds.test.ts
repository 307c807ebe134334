// The cluster-only kinds and fields against a private 3-member cluster (127.0.20.2-4): per-member config of storage
// pools and networks (`memberConfig`: pending create per member, per-member diff, update and drift with
// `?target=`), ClusterGroup and ClusterMember (adopt-only, If-Match PUTs, evacuate and restore). The standalone
// shared daemon is only read, for the check that refuses memberConfig there.
import * as fs from "node:fs";
import * as path from "node:path";
import { KindEngine, kinds } from "pulumi-incus/provider";
import { closeConnections, expectNoOp, rand, requestLog, Resource } from "../integration/kinds-harness";
import { ClusterDaemons } from "./cluster";

type State = Record<string, unknown>;
jest.setTimeout(300_000);

const cluster = new ClusterDaemons("clb", 20);
const [M1, M2, M3] = [1, 2, 3].map((i) => cluster.member(i).name);
const log = requestLog();
const tag = rand();
let socket = "";
/** The live object through member 1's socket (`?target=` for a member's view). */
const get = async (p: string): Promise<State> => (await cluster.client().get<State>(p, { project: null })).value;
const put = (p: string, body: unknown) => cluster.client().put(p, body, { project: null });

beforeAll(async () => {
  await cluster.create();
  socket = cluster.member(1).daemon.socket;
}, 180_000);
afterAll(async () => {
  log.restore();
  await closeConnections();
  await cluster.destroy();
}, 180_000);

describe("StoragePool memberConfig", () => {
  const name = `clbp-${tag}`;
  const src = (m: string, dir = "pool") => path.join(cluster.root, "sources", m, dir);
  const args = (): State => ({
    name,
    socket,
    driver: "dir",
    description: "per-member sources",
    config: { "rsync.bwlimit": "10" },
    memberConfig: { [M1]: { source: src(M1) }, [M2]: { source: src(M2) }, [M3]: { source: src(M3) } },
  });
  const r = new Resource("StoragePool", {});

  beforeAll(() => {
    for (const m of [M1, M2, M3]) fs.mkdirSync(src(m), { recursive: true });
  });

  it("create: pending on each member with its source, then created with the global config", async () => {
    log.take();
    await r.create(args());
    const writes = log.takeWrites().filter((w) => w.startsWith("POST "));
    expect(writes).toEqual([
      `POST /1.0/storage-pools?target=${M1}`,
      `POST /1.0/storage-pools?target=${M2}`,
      `POST /1.0/storage-pools?target=${M3}`,
      "POST /1.0/storage-pools",
    ]);
    const global = await get(`/1.0/storage-pools/${name}`);
    expect(global).toMatchObject({ status: "Created", description: "per-member sources", config: { "rsync.bwlimit": "10" } });
    for (const m of [M1, M2, M3]) expect((await get(`/1.0/storage-pools/${name}?target=${m}`)).config).toMatchObject({ source: src(m) });
  });

  it("no-op: a second up reads each member and writes nothing", async () => {
    await expectNoOp(r, log);
  });

  it("a member whose source differs shows that member's key; the update is refused by Incus with its reason", async () => {
    const moved = { ...args(), memberConfig: { ...(args().memberConfig as State), [M2]: { source: src(M2, "other") } } };
    expect(await r.diff(moved)).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`memberConfig["${M2}"]["source"]: server has "${src(M2)}", program wants "${src(M2, "other")}"`);
    await expect(r.update(moved)).rejects.toThrow(/source cannot be changed/);
    // Nothing else was lost on the way: the global part is as the program says.
    expect(await get(`/1.0/storage-pools/${name}`)).toMatchObject({ description: "per-member sources", config: { "rsync.bwlimit": "10" } });
    r.args = args();
  });

  it("a member with no entry (one that joined later) is a difference, not an error", async () => {
    const { [M3]: _dropped, ...two } = args().memberConfig as State;
    expect(await r.diff({ ...args(), memberConfig: two })).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`memberConfig["${M3}"]: member has {"source":"${src(M3)}"}, the program has no entry for it`);
  });

  it("delete removes it from every member", async () => {
    await r.delete();
    await expect(get(`/1.0/storage-pools/${name}`)).rejects.toThrow(/not found/i);
  });
});

describe("Network memberConfig (macvlan: per-member parents, no host interface made)", () => {
  // Bridges cannot be made here: every member would make the same host interface (one network namespace).
  const name = `clbmv${tag.slice(0, 6)}`;
  const args = (m2Parent = "lo"): State => ({
    name,
    socket,
    type: "macvlan",
    description: "per-member parents",
    config: { "user.tier": "web" },
    memberConfig: { [M1]: { parent: "lo" }, [M2]: { parent: m2Parent }, [M3]: { parent: "lo" } },
  });
  const r = new Resource("Network", {});
  const memberParent = async (m: string) => ((await get(`/1.0/networks/${name}?target=${m}`)).config as State).parent;

  it("create, then a no-op", async () => {
    await r.create(args());
    expect(await get(`/1.0/networks/${name}`)).toMatchObject({ status: "Created", description: "per-member parents", config: { "user.tier": "web" } });
    for (const m of [M1, M2, M3]) expect(await memberParent(m)).toBe("lo");
    await expectNoOp(r, log);
  });

  it("a change of one member's key is written to that member only, and the global part stays", async () => {
    expect(await r.up(args("ifb0"))).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`memberConfig["${M2}"]["parent"]: server has "lo", program wants "ifb0"`);
    expect([await memberParent(M1), await memberParent(M2), await memberParent(M3)]).toEqual(["lo", "ifb0", "lo"]);
    // Incus's targeted PUT replaces the global config and description: the engine wrote them back.
    expect(await get(`/1.0/networks/${name}`)).toMatchObject({ description: "per-member parents", config: { "user.tier": "web" } });
    await expectNoOp(r, log);
  });

  it("drift on a member made by hand is shown and reverted", async () => {
    await put(`/1.0/networks/${name}?target=${M3}`, { config: { parent: "ifb1" } });
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`memberConfig["${M3}"]["parent"]: server has "ifb1", program wants "lo"`);
    await r.up();
    expect(await memberParent(M3)).toBe("lo");
    expect(await get(`/1.0/networks/${name}`)).toMatchObject({ config: { "user.tier": "web" } });
    await expectNoOp(r, log);
  });

  it("a member the cluster does not have is refused at check, naming it", async () => {
    const bad = new Resource("Network", { ...args(), name: `clbx${tag.slice(0, 6)}`, memberConfig: { nowhere: { parent: "lo" } } });
    await expect(bad.check()).rejects.toThrow(/\(memberConfig\["nowhere"\]\) memberConfig\["nowhere"\]: no cluster member "nowhere"/);
  });

  it("delete", async () => {
    await r.delete();
    await expect(get(`/1.0/networks/${name}`)).rejects.toThrow(/not found/i);
  });
});

describe("memberConfig on a standalone server", () => {
  it("is refused at check, naming the field (the shared daemon is only read)", async () => {
    const r = new Resource("StoragePool", { name: `clbs-${tag}`, driver: "dir", memberConfig: { node1: { source: "/srv" } } });
    await expect(r.check()).rejects.toThrow(/\(memberConfig\) memberConfig: this server is not a cluster/);
  });
});

describe("ClusterGroup", () => {
  const name = `clbg-${tag}`;
  const r = new Resource("ClusterGroup", {});

  it("create with members, no-op, members changed in place (as a set), renamed in place", async () => {
    await r.create({ name, socket, description: "g", members: [M3, M2] });
    expect(await get(`/1.0/cluster/groups/${name}`)).toMatchObject({ description: "g", members: [M2, M3] });
    await expectNoOp(r, log);
    expect(await r.up({ ...r.args, members: [M2] })).toEqual({ changes: true });
    expect((await get(`/1.0/cluster/groups/${name}`)).members).toEqual([M2]);
    expect(await r.up({ ...r.args, name: `${name}-r` })).toEqual({ changes: true });
    expect((await get(`/1.0/cluster/groups/${name}-r`)).members).toEqual([M2]);
    await expectNoOp(r, log);
  });

  it("drift made by hand is shown and reverted", async () => {
    await put(`/1.0/cluster/groups/${name}-r`, { description: "by hand", members: [M1, M2] });
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toMatch(/description: server has "by hand", program wants "g"[\s\S]*members: server has/);
    await r.up();
    expect(await get(`/1.0/cluster/groups/${name}-r`)).toMatchObject({ description: "g", members: [M2] });
  });

  it("delete empties it first (a member whose only group it is goes back to `default`)", async () => {
    // M2 in this group only: Incus keeps a member in its last group, and refuses to delete a group with members.
    const m2 = await get(`/1.0/cluster/members/${M2}`);
    await put(`/1.0/cluster/members/${M2}`, { ...m2, groups: [`${name}-r`] });
    await r.delete();
    await expect(get(`/1.0/cluster/groups/${name}-r`)).rejects.toThrow(/not found/i);
    expect((await get(`/1.0/cluster/members/${M2}`)).groups).toEqual(["default"]);
  });
});

describe("ClusterMember (adopt-only)", () => {
  const group = `clbw-${tag}`;
  const r = new Resource("ClusterMember", {});
  const member = () => get(`/1.0/cluster/members/${M2}`);

  beforeAll(async () => {
    await cluster.client().post("/1.0/cluster/groups", { name: group, members: [] }, { project: null });
    // A key the member has before the program takes it over stays the member's own.
    const live = await member();
    await put(`/1.0/cluster/members/${M2}`, { ...live, config: { "user.before": "1" } });
  });
  const sorted = (l: State) => ({ ...l, groups: [...(l.groups as string[])].sort() });

  it("takes the member over (no create request) and applies the program's fields with If-Match; roles are read back", async () => {
    log.take();
    await r.create({ name: M2, socket, description: "rack 2", failureDomain: "rack2", groups: ["default", group], config: { "user.rack": "2" } });
    const writes = log.takeWrites();
    expect(writes.filter((w) => w.startsWith("POST "))).toEqual([]);
    expect(writes).toEqual([`PUT /1.0/cluster/members/${M2}`]);
    expect(sorted(await member())).toMatchObject({
      description: "rack 2",
      failure_domain: "rack2",
      groups: ["default", group].sort(),
      config: { "user.before": "1", "user.rack": "2" },
    });
    expect(r.state.roles).toEqual((await member()).roles);
    expect((r.state.roles as string[]).length).toBeGreaterThan(0);
    await expectNoOp(r, log);
  });

  it("a member that has not joined is refused at check, naming it", async () => {
    await expect(new Resource("ClusterMember", { name: "clb-m9", socket }).check()).rejects.toThrow(/\(name\) name: no cluster member "clb-m9"/);
  });

  it("evacuated: true evacuates (an instance there moves), false restores it", async () => {
    await cluster
      .client()
      .post(`/1.0/instances?target=${M2}`, { name: `clbi-${tag}`, source: { type: "image", alias: "pulumi-incus/busybox" } }, { project: "default" });
    expect(await r.up({ ...r.args, evacuated: true })).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain("evacuated: server has false (Online), program wants true");
    expect((await member()).status).toBe("Evacuated");
    expect((await get(`/1.0/instances/clbi-${tag}`)).location).not.toBe(M2);
    await expectNoOp(r, log);
    expect(await r.up({ ...r.args, evacuated: false })).toEqual({ changes: true });
    expect((await member()).status).toBe("Online");
    expect((await get(`/1.0/instances/clbi-${tag}`)).location).toBe(M2);
    await cluster.client().delete(`/1.0/instances/clbi-${tag}`, { project: "default" });
  });

  it("drift made by hand is shown and reverted", async () => {
    const live = await member();
    await put(`/1.0/cluster/members/${M2}`, { ...live, description: "by hand", config: { ...(live.config as State), "user.hand": "x" } });
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain('description: server has "by hand", program wants "rack 2"');
    expect(r.printed.join("\n")).toContain('config["user.hand"]: server has "x", program wants unset');
    await r.up();
    expect((await member()).description).toBe("rack 2");
    expect((await member()).config).toEqual({ "user.before": "1", "user.rack": "2" });
    await expectNoOp(r, log);
  });

  it("delete leaves the member in the cluster with what the program set given back (restored if evacuated)", async () => {
    await r.up({ ...r.args, evacuated: true });
    await r.delete();
    const live = await member();
    expect(live).toMatchObject({ status: "Online", description: "", failure_domain: "default", groups: ["default"], config: { "user.before": "1" } });
    expect((live.config as State)["user.rack"]).toBeUndefined();
  });
});

describe("lookups", () => {
  const engine = (kind: "ClusterMember" | "ClusterGroup") => new KindEngine(kinds[kind] as any);

  it("getClusterMember and getClusterMembers (by group, status, role) report members as the server has them", async () => {
    const found = await engine("ClusterMember").lookup({ name: M1, socket });
    expect(found).toMatchObject({ name: M1, status: "Online", url: cluster.member(1).url, groups: ["default"] });
    expect((found.roles as string[]).length).toBeGreaterThan(0);
    const all = await engine("ClusterMember").lookupList({ socket, group: "default", status: "online" });
    expect(all.map((m) => m.name).sort()).toEqual([M1, M2, M3]);
    const leader = await engine("ClusterMember").lookupList({ socket, role: "database-leader" });
    expect(leader).toHaveLength(1);
    await expect(engine("ClusterMember").lookup({ name: "clb-m9", socket })).rejects.toThrow(/getClusterMember: ClusterMember "clb-m9" does not exist/);
  });

  it("getClusterGroup and getClusterGroups", async () => {
    expect(await engine("ClusterGroup").lookup({ name: "default", socket })).toMatchObject({ name: "default", members: [M1, M2, M3] });
    const groups = await engine("ClusterGroup").lookupList({ socket, member: M3 });
    expect(groups.map((g) => g.name)).toContain("default");
  });
});
