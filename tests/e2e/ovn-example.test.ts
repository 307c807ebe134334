// examples/ovn through the real pulumi CLI, installed from the npm tarball as users get it, against the OVN stack's
// private incusd in this file's own network namespace (tests/ovn/stack.ts): up (the first peer Pending, explained),
// refresh, a no-op up with 0 writes, edits in place, drift shown and corrected, the integration's key never in plain
// text, destroy leaving nothing.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OvnStack, UPLINK } from "../ovn/stack";
import { cliSession, filesUnder, installPackage, occurrences, REPO } from "./harness";

jest.setTimeout(900_000);

const stack = new OvnStack("e2e-ovn", { image: true });
const KEY = `-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIE2eovnexamplekey${process.pid}\n-----END PRIVATE KEY-----`;
const LB = "/1.0/networks/pea/load-balancers/192.0.2.130";
let work = "";
let program = "";
const said: string[] = [];

/** The example as users run it: outside the repository, with the package installed from its tarball. */
function installedExample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-installed-ovn-"));
  fs.copyFileSync(path.join(REPO, "dist", "examples", "ovn", "index.js"), path.join(dir, "index.js"));
  const manifest = fs.readFileSync(path.join(REPO, "examples", "ovn", "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, "main: index.js");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), manifest);
  installPackage(dir, "installed-ovn-example");
  return dir;
}

beforeAll(async () => {
  await stack.start();
  work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-e2e-ovn-"));
  program = installedExample();
}, 600_000);
afterAll(async () => {
  await stack.stop();
  for (const dir of [work, program]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`OVN stack: ${JSON.stringify(stack.figures)}\n`);
}, 300_000);

test("examples/ovn: up, no-op up (0 writes), edits in place, drift corrected, destroy leaves nothing", () => {
  const { run, takeWrites, timings } = cliSession(work);
  const pulumi = (...args: string[]) => {
    const out = run("pulumi", [...args, "--non-interactive", "--color=never"], program);
    said.push(out);
    return out;
  };
  const query = (p: string) => stack.daemon.query(p);
  pulumi("stack", "init", "ovn");
  for (const [k, v] of Object.entries({ "incus:socket": stack.daemon.socket, uplink: UPLINK, prefix: "pe", subnet: "10.213" })) pulumi("config", "set", k, v);
  pulumi("config", "set", "icNorthbound", stack.sock("ovn_ic_nb_db"));
  pulumi("config", "set", "icSouthbound", stack.sock("ovn_ic_sb_db"));
  run("pulumi", ["config", "set", "--secret", "--non-interactive", "icClientKey", "--", KEY], program);

  // up: the first peer waits for the second, and says so; then both are Created.
  const up = pulumi("up", "--yes", "--skip-preview");
  expect(up).toMatch(/Pending: waiting for network default\/peb to declare a peer back to this network \(mutual peering\)/);
  expect(query("/1.0/networks/pea/peers/to-b")).toMatchObject({ status: "Created", target_network: "peb" });
  expect(query("/1.0/networks/peb/peers/to-a")).toMatchObject({ status: "Created", target_network: "pea" });
  expect(query(LB)).toMatchObject({
    description: "web front",
    backends: [
      { name: "web-1", target_address: "10.213.1.10", target_port: "8080" },
      { name: "web-2", target_address: "10.213.1.11", target_port: "8080" },
    ],
    ports: [{ protocol: "tcp", listen_port: "80", target_backend: ["web-1", "web-2"] }],
  });
  expect(query("/1.0/instances/pe-web-1")).toMatchObject({ status: "Stopped", devices: { eth0: { network: "pea", "ipv4.address": "10.213.1.10" } } });
  expect(query("/1.0/network-integrations/pe-ic")).toMatchObject({ type: "ovn", config: { "ovn.client_key": KEY } });
  expect(JSON.parse(pulumi("stack", "output", "peerStatus", "--json"))).toEqual({ aToB: "Pending", bToA: "Created" });
  // refresh reads the first peer's new status.
  pulumi("refresh", "--yes", "--skip-preview");

  // A second up: nothing to change, nothing written; the stack's outputs show the refreshed status.
  takeWrites();
  expect(pulumi("up", "--yes", "--skip-preview")).toMatch(/\d+ unchanged/);
  expect(takeWrites()).toEqual([]);
  expect(JSON.parse(pulumi("stack", "output", "peerStatus", "--json"))).toEqual({ aToB: "Created", bToA: "Created" });

  // Edits in place: the load balancer's description and backend port are one PUT.
  pulumi("config", "set", "lbDescription", "web front v2");
  pulumi("config", "set", "backendPort", "8081");
  pulumi("up", "--yes", "--skip-preview");
  expect(takeWrites()).toEqual([`PUT ${LB}`]);
  expect(query(LB)).toMatchObject({ description: "web front v2", backends: [{ target_port: "8081" }, { target_port: "8081" }] });

  // Drift by hand (a backend added, a peer's description changed) is shown by preview and put back by up.
  stack.daemon.incus("network", "load-balancer", "backend", "add", "pea", "192.0.2.130", "extra", "10.213.1.12");
  stack.daemon.incus("network", "peer", "set", "pea", "to-b", "--property", "description=by hand");
  const preview = pulumi("preview");
  expect(preview).toMatch(/backends: server has .*10\.213\.1\.12/);
  expect(preview).toMatch(/description: server has "by hand", program wants "a to b"/);
  pulumi("up", "--yes", "--skip-preview");
  expect(takeWrites().sort()).toEqual([`PUT ${LB}`, "PUT /1.0/networks/pea/peers/to-b"]);
  expect(query(LB).backends).toHaveLength(2);
  expect(query("/1.0/networks/pea/peers/to-b").description).toBe("a to b");

  // The integration's client key is never in plain text: state, export, CLI output.
  const exported = pulumi("stack", "export");
  expect({ export: occurrences([exported], KEY), state: occurrences(filesUnder(path.join(work, "state")), KEY), output: occurrences(said, KEY) }).toEqual({
    export: 0,
    state: 0,
    output: 0,
  });

  // destroy leaves nothing.
  pulumi("destroy", "--yes", "--skip-preview");
  for (const p of ["/1.0/networks/pea", "/1.0/networks/peb", LB, "/1.0/instances/pe-web-1", "/1.0/instances/pe-web-2", "/1.0/network-integrations/pe-ic"])
    expect({ p, found: query(p) }).toEqual({ p, found: null });
  pulumi("stack", "rm", "--yes");
  process.stdout.write(`${timings.join("\n")}\n`);
});
