// OVN networks and the kinds that need them (peers, load balancers, integrations) against a private incusd configured
// for OVN, inside this file's own network namespace (tests/ovn/stack.ts): the networks carry private subnets of the
// uplink's routes and listen addresses from TEST-NET-1, nothing is routed out of the namespace and no packet is sent.
// Peer and load-balancer PUTs ignore If-Match in 6.0, so the read-compare-write guard is tested here.
import { engineFor } from "pulumi-incus/provider";
import { OvnStack, UPLINK } from "../ovn/stack";
import { cli, closeConnections, rejection, requestLog, Resource } from "./kinds-harness";
import { updateRacing, withoutGuard } from "./races";

type State = Record<string, unknown>;
jest.setTimeout(180_000);
const stack = new OvnStack("kinds-ovn");
const { incus, query } = cli(stack.daemon.dir);
const socket = stack.daemon.socket;
const log = requestLog();
const LISTEN = "192.0.2.130";
const lbPath = `/1.0/networks/pio1/load-balancers/${LISTEN}`;

beforeAll(() => stack.start(), 300_000);
afterAll(async () => {
  log.restore();
  await closeConnections();
  await stack.stop();
  // The fixture's cost, for the report: start (from nothing) and stop times, and memory once started.
  process.stdout.write(`OVN stack: ${JSON.stringify(stack.figures)}\n`);
}, 300_000);

const net1 = new Resource("Network", { name: "pio1", type: "ovn", socket, description: "one", config: { ...OvnStack.network(1), "user.a": "1" } });
const net2 = new Resource("Network", { name: "pio2", type: "ovn", socket, config: OvnStack.network(2) });

describe("Network of type ovn", () => {
  it("is created on the uplink with a subnet of its routes; a second up writes nothing", async () => {
    await net1.create();
    await net2.create();
    expect(query("/1.0/networks/pio1")).toMatchObject({ type: "ovn", status: "Created", config: { network: UPLINK, "ipv4.address": "10.213.1.1/24" } });
    // The uplink address Incus picked is the server's.
    expect(query("/1.0/networks/pio1").config["volatile.network.ipv4.address"]).toMatch(/^192\.0\.2\.(1\d|20)$/);
    log.take();
    expect(await net1.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("changes in place; a new type replaces", async () => {
    expect(await net1.up({ ...net1.args, description: "two", config: { ...OvnStack.network(1), "user.a": "2" } })).toEqual({ changes: true });
    expect(query("/1.0/networks/pio1")).toMatchObject({ description: "two", config: { "user.a": "2" } });
    expect(await net1.diff({ ...net1.args, type: "bridge" })).toMatchObject({ changes: true, replaces: ["type"] });
  });
});

describe("NetworkPeer", () => {
  const there = new Resource("NetworkPeer", { name: "to2", network: "pio1", targetNetwork: "pio2", description: "d1", socket });
  const back = new Resource("NetworkPeer", { name: "to1", network: "pio2", targetNetwork: "pio1", socket });

  it("a local peer is Pending until its mutual side exists, and says why (not an error)", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(console, "log").mockImplementation((l) => void lines.push(String(l)));
    try {
      await there.create();
    } finally {
      spy.mockRestore();
    }
    expect(there.state.status).toBe("Pending");
    expect(lines.join("\n")).toContain("NetworkPeer to2: Pending: waiting for network default/pio2 to declare a peer back to this network (mutual peering)");
    // The preview says it too.
    expect(await there.diff()).toEqual({ changes: false });
    expect(there.printed.join("\n")).toMatch(/Pending: waiting for network default\/pio2/);
  });

  it("the other side makes both Created; refresh reads the first one's new status", async () => {
    await back.create();
    expect(back.state.status).toBe("Created");
    expect((await there.read()).props).toMatchObject({ status: "Created" });
    expect(await there.diff()).toEqual({ changes: false });
    expect(there.printed).toEqual([]);
  });

  it("description and config change in place (compare-before-write); the target replaces", async () => {
    log.take();
    expect(await there.up({ ...there.args, description: "d2", config: { "user.a": "1" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual(["PUT /1.0/networks/pio1/peers/to2"]);
    expect(query("/1.0/networks/pio1/peers/to2")).toMatchObject({ description: "d2", config: { "user.a": "1" }, status: "Created" });
    expect(await there.diff({ ...there.args, targetNetwork: "pio3" })).toMatchObject({ changes: true, replaces: ["targetNetwork"] });
  });

  it("get by id reads the network and the peer", async () => {
    const res = await engineFor("NetworkPeer").read("/1.0/networks/pio1/peers/to2", { socket });
    expect(res.props).toMatchObject({ name: "to2", network: "pio1", targetNetwork: "pio2", status: "Created", description: "d2" });
  });

  it("delete removes both sides", async () => {
    await there.delete();
    await back.delete();
    expect(query("/1.0/networks/pio1/peers/to2")).toBeUndefined();
    expect(query("/1.0/networks/pio2/peers/to1")).toBeUndefined();
  });
});

describe("NetworkIntegration and a remote peer through it", () => {
  const KEY = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIPi0ovnkeyovnkeyovnkeyovnkeyovnkeyovnkeyovn\n-----END PRIVATE KEY-----\n";
  const ic = new Resource("NetworkIntegration", {
    name: "pi-ic",
    socket,
    description: "ic",
    config: {
      "ovn.northbound_connection": stack.sock("ovn_ic_nb_db"),
      "ovn.southbound_connection": stack.sock("ovn_ic_sb_db"),
      "user.a": "1",
    },
  });
  const remote = new Resource("NetworkPeer", { name: "toic", network: "pio1", type: "remote", targetIntegration: "pi-ic", socket });

  it("an integration is created; a remote peer through it is Created (OVN-IC transit switch)", async () => {
    await ic.create();
    expect(query("/1.0/network-integrations/pi-ic")).toMatchObject({ type: "ovn", description: "ic" });
    await remote.create();
    expect(remote.state.status).toBe("Created");
    expect(stack.tool("ovn-ic-nbctl", "--format=csv", "--columns=name", "list", "Transit_Switch")).toMatch(/pi-ic/);
    expect((await ic.read()).props).toMatchObject({ usedBy: [expect.stringContaining("/1.0/networks/pio1/peers/toic")] });
  });

  it("its TLS key is secret: a drift of it is named in the preview without its value", async () => {
    await ic.up({ ...ic.args, config: { ...(ic.args.config as State), "ovn.client_key": KEY } });
    incus("network", "integration", "set", "pi-ic", "ovn.client_key=changed-by-hand");
    expect(await ic.diff()).toEqual({ changes: true });
    const printed = ic.printed.join("\n");
    expect(printed).toContain('config["ovn.client_key"]');
    expect(printed).not.toContain("changed-by-hand");
    expect(printed).not.toContain("ovnkeyovnkey");
    await ic.up();
    expect(query("/1.0/network-integrations/pi-ic").config["ovn.client_key"]).toBe(KEY);
  });

  it("lookups: a peer by network and name; the integration with its key, which the SDK makes secret", async () => {
    expect(await engineFor("NetworkPeer").lookup({ network: "pio1", name: "toic", socket })).toMatchObject({
      type: "remote",
      targetIntegration: "pi-ic",
      status: "Created",
    });
    const found = await engineFor("NetworkIntegration").lookup({ name: "pi-ic", socket });
    expect(found).toMatchObject({ type: "ovn", config: { "ovn.client_key": KEY } });
    expect(engineFor("NetworkIntegration").secretKeysIn(found)).toEqual([["config", "ovn.client_key"]]);
  });

  it("renames in place", async () => {
    // A used integration cannot be renamed: the peer goes first.
    await remote.delete();
    expect(await ic.up({ ...ic.args, name: "pi-ic2" })).toEqual({ changes: true });
    expect(query("/1.0/network-integrations/pi-ic2")).toBeDefined();
    await ic.delete();
    expect(query("/1.0/network-integrations/pi-ic2")).toBeUndefined();
  });
});

describe("NetworkLoadBalancer", () => {
  const a = { name: "a", target_address: "10.213.1.10", target_port: 8080 };
  const b = { name: "b", target_address: "10.213.1.11", description: "second" };
  const r = new Resource("NetworkLoadBalancer", {
    name: "web",
    network: "pio1",
    listenAddress: LISTEN,
    description: "d1",
    backends: [a],
    ports: [{ protocol: "tcp", listen_port: "80, 443", target_backend: ["a"] }],
    socket,
  });

  it("create: identified by network and listen address; backends, ports and health; a second up writes nothing", async () => {
    await r.create();
    expect(r.id).toBe(lbPath);
    expect(query(lbPath)).toMatchObject({
      description: "d1",
      backends: [{ name: "a", target_address: "10.213.1.10", target_port: "8080" }],
      ports: [{ protocol: "tcp", listen_port: "80,443", target_backend: ["a"] }],
    });
    // OVN has no health checks configured: Incus reports none.
    expect(r.state.backendHealth).toEqual(query(`${lbPath}/state`).backend_health ?? {});
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("backends and ports change in place with one PUT, after a read just before it", async () => {
    log.take();
    const ports = [...(r.args.ports as State[]), { protocol: "udp", listen_port: 53, target_backend: ["a", "b"] }];
    expect(await r.up({ ...r.args, backends: [a, b], ports })).toEqual({ changes: true });
    const requests = log.take();
    expect(requests.filter((l) => !l.startsWith("GET "))).toEqual([`PUT ${lbPath}`]);
    expect(requests[requests.indexOf(`PUT ${lbPath}`) - 1]).toBe(`GET ${lbPath}`);
    expect(query(lbPath).ports).toHaveLength(2);
    expect(await r.diff()).toEqual({ changes: false });
  });

  it("a backend added by hand is shown and removed", async () => {
    incus("network", "load-balancer", "backend", "add", "pio1", LISTEN, "c", "10.213.1.12");
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toMatch(
      /^NetworkLoadBalancer load balancer 192\.0\.2\.130 on network "pio1" in project "default": backends: server has .*10\.213\.1\.12/m,
    );
    await r.up();
    expect(query(lbPath).backends).toHaveLength(2);
  });

  it("read-compare-write: a concurrent writer's change is not lost", async () => {
    // The program stops managing the description; someone sets it while an update of the backends is under way.
    const { description: _d, ...rest } = r.args;
    await r.up(rest);
    const edited = await updateWithConcurrentEdit(r, { ...rest, backends: [a], ports: (rest.ports as State[]).slice(0, 1) }, "edited meanwhile");
    expect(edited).toMatchObject({ description: "edited meanwhile", backends: [{ name: "a" }] });
  });

  it("without the guard the same race loses the other writer's change (Incus ignores If-Match here)", async () => {
    await withoutGuard("NetworkLoadBalancer", async () => {
      const edited = await updateWithConcurrentEdit(r, { ...r.args, backends: [a, b] }, "edited again");
      // The PUT built from the stale read puts the old description back: "edited again" is lost.
      expect(edited).toMatchObject({ description: "edited meanwhile", backends: [{ name: "a" }, { name: "b" }] });
    });
  });

  it("a port naming no backend is refused at check, before any request", async () => {
    log.take();
    const err = await rejection(r.check({ ...r.args, ports: [{ protocol: "tcp", listen_port: "22", target_backend: ["z"] }] }));
    expect(err.message).toContain('ports[0].target_backend[0]: names no backend of `backends` ("z")');
    expect(log.take()).toEqual([]);
  });

  it("lookup by network and listen address reports backends and health", async () => {
    const found = await engineFor("NetworkLoadBalancer").lookup({ network: "pio1", listenAddress: LISTEN, socket });
    expect(found).toMatchObject({ network: "pio1", listenAddress: LISTEN, backends: [{ name: "a" }, { name: "b" }], backendHealth: expect.any(Object) });
  });

  it("a new listen address replaces it, deleting first; delete removes it", async () => {
    expect(await r.up({ ...r.args, listenAddress: "192.0.2.131" })).toEqual({ changes: true, replaces: ["listenAddress"], deleteBeforeReplace: true });
    expect(query(lbPath)).toBeUndefined();
    await r.delete();
    expect(query("/1.0/networks/pio1/load-balancers/192.0.2.131")).toBeUndefined();
    await net2.delete();
    await net1.delete();
    expect(query("/1.0/networks/pio1")).toBeUndefined();
  });
});

/**
 * Runs an update while another writer changes the load balancer's description right after the update's own read
 * (before its PUT), and returns the load balancer as the server has it afterwards.
 */
async function updateWithConcurrentEdit(r: Resource, args: State, description: string): Promise<State> {
  await updateRacing(r, args, () => incus("network", "load-balancer", "set", "pio1", LISTEN, "--property", `description=${description}`));
  return query(r.id)!;
}
