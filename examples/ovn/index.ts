// OVN networking: two OVN networks on an uplink, peered with each other (each side declares its peer; the first is
// Pending until the second exists), a load balancer on the first in front of two instances' addresses, and a network
// integration for OVN-IC (its TLS key, when given, is kept secret in state).
// Needs an Incus with OVN set up (`network.ovn.northbound_connection`) and an uplink network (`type: physical`)
// whose `ipv4.routes` hold the subnets below and the load balancer's address.
//
//   pulumi config set uplink UPLINK           # the uplink network (default: UPLINK)
//   pulumi config set prefix lab              # names: <prefix>a, <prefix>b, … (default: ovn)
//   pulumi config set subnet 10.213           # the networks get <subnet>.1.0/24 and <subnet>.2.0/24
//   pulumi config set listenAddress 192.0.2.130
//   pulumi config set icNorthbound ssl:192.0.2.50:6645 ; pulumi config set icSouthbound ssl:192.0.2.50:6646
//   pulumi config set --secret icClientKey "$(cat ic.key)"
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.get("prefix") ?? "ovn";
const uplink = cfg.get("uplink") ?? "UPLINK";
const subnet = cfg.get("subnet") ?? "10.213";
const listenAddress = cfg.get("listenAddress") ?? "192.0.2.130";
const backendPort = cfg.getNumber("backendPort") ?? 8080;
const image = cfg.get("image") ?? "pulumi-incus/busybox";

/** An OVN network on the uplink with a /24 of the uplink's routes; no NAT. DHCP (served by OVN) lets instances have fixed addresses. */
const ovnNetwork = (suffix: string, n: number) =>
  new incus.Network(`net-${suffix}`, {
    name: `${prefix}${suffix}`,
    type: "ovn",
    description: `OVN network ${suffix} (pulumi-incus example)`,
    config: { network: uplink, "ipv4.address": `${subnet}.${n}.1/24`, "ipv4.nat": false, "ipv6.address": "none" },
  });
const netA = ovnNetwork("a", 1);
const netB = ovnNetwork("b", 2);

// Peering is mutual: each network declares a peer to the other.
const aToB = new incus.NetworkPeer("a-to-b", { name: "to-b", network: netA.name, targetNetwork: netB.name, description: "a to b" });
const bToA = new incus.NetworkPeer("b-to-a", { name: "to-a", network: netB.name, targetNetwork: netA.name, description: "b to a" }, { dependsOn: aToB });

// Two instances on network a, each with a fixed address: the load balancer's backends.
const backends = [10, 11].map((host, i) => {
  const address = `${subnet}.1.${host}`;
  const instance = new incus.Instance(`web-${i + 1}`, {
    name: `${prefix}-web-${i + 1}`,
    image,
    running: false,
    devices: { eth0: { type: "nic", network: netA.name, "ipv4.address": address } },
  });
  return { instance, backend: { name: `web-${i + 1}`, target_address: address, target_port: backendPort } };
});

const lb = new incus.NetworkLoadBalancer(
  "web",
  {
    network: netA.name,
    listenAddress,
    description: cfg.get("lbDescription") ?? "web front",
    backends: backends.map((b) => b.backend),
    ports: [{ protocol: "tcp", listen_port: 80, target_backend: backends.map((b) => b.backend.name) }],
  },
  { dependsOn: backends.map((b) => b.instance) },
);

const ic = new incus.NetworkIntegration("ic", {
  name: `${prefix}-ic`,
  description: "OVN-IC",
  config: {
    "ovn.northbound_connection": cfg.get("icNorthbound") ?? "ssl:192.0.2.50:6645",
    "ovn.southbound_connection": cfg.get("icSouthbound") ?? "ssl:192.0.2.50:6646",
    // Secret in state even if given as plain text.
    ...(cfg.getSecret("icClientKey") ? { "ovn.client_key": cfg.requireSecret("icClientKey") } : {}),
  },
});

export const networks = [netA.name, netB.name];
export const peerStatus = { aToB: aToB.status, bToA: bToA.status };
export const loadBalancer = { listenAddress: lb.listenAddress, backends: lb.backends, health: lb.backendHealth };
export const integration = ic.name;
