// Network forward against the real daemon: a bridge with a private IPv4 subnet (a forward needs a parseable address;
// NAT, DHCP and IPv6 off), forwards keyed by listen address in TEST-NET-1. No packet is sent: this exercises the API
// and what Incus stores. The forward's PUT ignores If-Match in 6.0, so the read-compare-write guard is tested here.
import { engineFor } from "pulumi-incus/provider";
import { closeConnections, dropIfPresent, incus, query, rand, rejection, requestLog, Resource } from "./kinds-harness";
import { updateRacing, withoutGuard } from "./races";

type State = Record<string, unknown>;
const net = `pif${rand()}`;
// 10.<200-249>.<1-250>.0/24: unlikely to meet another network of this host.
const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${1 + Math.floor(Math.random() * 250)}`;
const LISTEN = "192.0.2.10";
const path = (addr = LISTEN) => `/1.0/networks/${net}/forwards/${addr}`;
const log = requestLog();

beforeAll(() => {
  incus("network", "create", net, `ipv4.address=${subnet}.1/24`, "ipv4.nat=false", "ipv4.dhcp=false", "ipv6.address=none");
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const f of query<string[]>(`/1.0/networks/${net}/forwards`) ?? []) dropIfPresent(f);
  dropIfPresent(`/1.0/networks/${net}`);
});

describe("life cycle", () => {
  const web = { protocol: "tcp", listen_port: "80, 443", target_address: `${subnet}.5` };
  const r = new Resource("NetworkForward", { name: "web", network: net, listenAddress: LISTEN, description: "d1", config: { "user.a": "1" }, ports: [web] });

  it("bad input is named at check, before any request", async () => {
    log.take();
    const bad = new Resource("NetworkForward", {
      name: "bad",
      network: net,
      listenAddress: "192.0.2.300",
      ports: [{ protocol: "sctp", listen_port: "80", target_address: "x" }],
    });
    const err = await rejection(bad.check());
    expect(err.message).toContain("listenAddress: must be an IPv4 or IPv6 address");
    expect(err.message).toContain("ports[0].protocol");
    expect(err.message).toContain("ports[0].target_address: must be an IPv4 or IPv6 address");
    expect(log.take()).toEqual([]);
  });

  it("an IPv6 listen address is keyed in Incus's canonical form", async () => {
    const inputs = await new Resource("NetworkForward", { name: "v6", network: net, listenAddress: "2001:DB8:0:0::10" }).check();
    expect(inputs.listenAddress).toBe("2001:db8::10");
  });

  it("create: identified by network and listen address; the server's port form is no change, so a second up writes nothing", async () => {
    await r.create();
    expect(r.id).toBe(path());
    expect(query(path())).toMatchObject({
      description: "d1",
      config: { "user.a": "1" },
      ports: [{ ...web, listen_port: "80,443", target_port: "", description: "" }],
    });
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET ${path()}`]);
  });

  it("ports, description and config change in place with one PUT (after a read just before it)", async () => {
    log.take();
    const ports = [web, { protocol: "udp", listen_port: 53, target_address: `${subnet}.6`, target_port: "5353", description: "dns" }];
    expect(await r.up({ ...r.args, description: "d2", config: { "user.a": "2" }, ports })).toEqual({ changes: true });
    const requests = log.take();
    expect(requests.filter((l) => !l.startsWith("GET "))).toEqual([`PUT ${path()}`]);
    // The PUT is preceded by the compare read.
    expect(requests.slice(requests.indexOf(`PUT ${path()}`) - 1)[0]).toBe(`GET ${path()}`);
    expect(query(path())).toMatchObject({
      description: "d2",
      config: { "user.a": "2" },
      ports: [{ listen_port: "80,443" }, { protocol: "udp", listen_port: "53", target_port: "5353", description: "dns" }],
    });
    expect(await r.diff()).toEqual({ changes: false });
  });

  it("a port added by hand is shown and removed", async () => {
    incus("network", "forward", "port", "add", net, LISTEN, "tcp", "8080", `${subnet}.7`);
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toMatch(
      new RegExp(`^NetworkForward ${LISTEN.replace(/\./g, "\\.")} on network "${net}" in project "default": ports: server has .*8080`, "m"),
    );
    await r.up();
    expect(query(path()).ports).toHaveLength(2);
  });

  it("fields removed from the program are reset", async () => {
    const { description: _d, config: _c, ports: _p, ...rest } = r.args;
    expect(await r.up(rest)).toEqual({ changes: true });
    expect(query(path())).toMatchObject({ description: "", config: {}, ports: [] });
    expect(await r.diff()).toEqual({ changes: false });
  });

  it("read-compare-write: a change made between the read and the PUT is not overwritten blindly", async () => {
    // The program manages only the ports; someone sets the description while the update is under way.
    const withPorts = { ...r.args, ports: [web] };
    const edited = await updateWithConcurrentEdit(r, withPorts, "edited meanwhile");
    expect(edited).toMatchObject({ description: "edited meanwhile", ports: [{ listen_port: "80,443" }] });
  });

  it("without the guard the same race loses the other writer's change (Incus ignores If-Match here)", async () => {
    await withoutGuard("NetworkForward", async () => {
      const edited = await updateWithConcurrentEdit(r, { ...r.args, ports: [] }, "edited again");
      // The PUT built from the stale read puts the old description back: "edited again" is lost.
      expect(edited).toMatchObject({ description: "edited meanwhile", ports: [] });
    });
  });

  it("the name is only a label: changing it writes nothing", async () => {
    log.take();
    expect(await r.diff({ ...r.args, name: "web2" })).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("a new listen address replaces the forward, deleting first", async () => {
    expect(await r.up({ ...r.args, listenAddress: "192.0.2.11" })).toEqual({ changes: true, replaces: ["listenAddress"], deleteBeforeReplace: true });
    expect(query(path())).toBeUndefined();
    expect(query(path("192.0.2.11"))).toBeDefined();
    expect(r.id).toBe(path("192.0.2.11"));
  });

  it("get by id: the network and the listen address are read from the API path", async () => {
    const res = await engineFor("NetworkForward").read(path("192.0.2.11"), {});
    expect(res.props).toMatchObject({ network: net, listenAddress: "192.0.2.11", project: "default", ports: [], location: "none" });
    expect((await rejection(engineFor("NetworkForward").read(path("192.0.2.99"), {}))).message).toMatch(/^NetworkForward\.get: no networkforward at/);
  });
});

describe("adopt", () => {
  it("fails clearly without adopt; adopts a forward made by hand without a create request", async () => {
    incus("network", "forward", "create", net, "192.0.2.20", "user.hand=1", "--description", "by hand");
    const args = { name: "made", network: net, listenAddress: "192.0.2.20", ports: [{ protocol: "tcp", listen_port: "22", target_address: `${subnet}.9` }] };
    const err = await rejection(new Resource("NetworkForward", args).create());
    expect(err.message).toBe(
      `NetworkForward 192.0.2.20 on network "${net}" in project "default": it already exists; set \`adopt: true\` to manage the existing object, or choose another name`,
    );
    log.take();
    const adopted = new Resource("NetworkForward", { ...args, adopt: true });
    await adopted.create();
    expect(log.takeWrites()).toEqual([`PUT ${path("192.0.2.20")}`]);
    expect(query(path("192.0.2.20"))).toMatchObject({ description: "by hand", config: { "user.hand": "1" }, ports: [{ listen_port: "22" }] });
    await adopted.delete();
    expect(query(path("192.0.2.20"))).toBeUndefined();
  });
});

/**
 * Runs an update while another writer changes the forward's description right after the update's own read (before
 * its PUT), and returns the forward as the server has it afterwards.
 */
async function updateWithConcurrentEdit(r: Resource, args: State, description: string): Promise<State> {
  await updateRacing(r, args, () => incus("network", "forward", "set", net, r.state.listenAddress as string, "--property", `description=${description}`));
  return query(r.id)!;
}
