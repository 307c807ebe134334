// The network kinds around one bridge in the default project (bridges live there): an ACL attached to the bridge, a
// DNS zone it serves with one record, and a forward into its private subnet (NAT, DHCP and IPv6 off; no traffic is
// sent). `edited` is the second version of the program: rules, ports, entries and a description change in place.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.require("prefix"); // at most 12 characters: the bridge's name is an interface name
const subnet = cfg.require("subnet"); // "10.a.b": the bridge gets 10.a.b.1/24
const listen = cfg.require("listenAddress");
const edited = cfg.getBoolean("edited") ?? false;

const acl = new incus.NetworkAcl("acl", {
  name: `${prefix}-acl`,
  description: "lab bridge",
  ingress: [
    { action: "allow", protocol: "tcp", destination_port: edited ? "22, 443" : "22" },
    ...(edited ? [{ action: "drop" as const, state: "logged" as const, source: "198.51.100.0/24" }] : []),
  ],
  egress: [{ action: "allow", destination: "10.0.0.0/8" }],
});

const zone = new incus.NetworkZone("zone", {
  name: `${prefix}.example.internal`,
  description: edited ? "lab zone, edited" : "lab zone",
  config: { "dns.nameservers": `ns1.${prefix}.example.internal` },
});

const bridge = new incus.Network("bridge", {
  name: prefix,
  config: {
    "ipv4.address": `${subnet}.1/24`,
    "ipv4.nat": false,
    "ipv4.dhcp": false,
    "ipv6.address": "none",
    "security.acls": acl.name,
    "dns.zone.forward": zone.name,
  },
});

const www = new incus.NetworkZoneRecord("www", {
  zone: zone.name,
  name: "www",
  entries: edited
    ? [
        { type: "A", value: `${subnet}.5` },
        { type: "TXT", value: "v=1", ttl: 300 },
      ]
    : [{ type: "A", value: `${subnet}.5` }],
});

const forward = new incus.NetworkForward("web", {
  network: bridge.name,
  listenAddress: listen,
  ports: [
    { protocol: "tcp", listen_port: "80", target_address: `${subnet}.5`, target_port: edited ? "8080" : "80" },
    ...(edited ? [{ protocol: "udp" as const, listen_port: 53, target_address: `${subnet}.6` }] : []),
  ],
});

export const aclUsedBy = acl.usedBy;
export const zoneUsedBy = zone.usedBy;
export const forwardId = forward.id;
export const recordName = www.name;
