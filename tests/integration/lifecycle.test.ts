// The lifecycle table: the same steps, against the real daemon, for every kind. A kind added later gets the whole
// table by adding one row to `table`: its create args, a change per field, the map keys it can drop, whether Incus
// can rename it, and its identity (how the table picks out, makes by hand and drops one of its objects: by name, by
// listen address, by fingerprint, or the server's one config). Each step checks the live object through the incus
// CLI, not through the provider. Rows marked `private` run on a daemon of their own (tests/faults/daemon.ts): the
// server's config is a singleton nobody else may have changed under them, and buckets need MinIO on incusd's PATH.
// Rows marked `ovn` run on the OVN stack's incusd, in a network namespace of this file's own (tests/ovn/stack.ts).
// Rows marked `cluster` run on a private 3-member cluster (tests/cluster/cluster.ts), started by the first such row.
//   create → no-op (no write) → each field changed in place → "" and null → each field removed → drift shown and
//   reverted → rename → out-of-band delete, refresh, re-create → adopt (the preview says what adopting changes) → delete
// With PULUMI_INCUS_LIFECYCLE_SERVER=lxd (tests/lxd/lifecycle-lxd.test.ts) every row runs on a private LXD 5.0 instead,
// but the kinds it lacks, whose preview must say so.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kinds, type KindName } from "pulumi-incus/provider";
import { certificateFingerprint, certificateBase64Der, opensslCertificate } from "../certs";
import { ClusterDaemons } from "../cluster/cluster";
import { FaultDaemon } from "../faults/daemon";
import { lxdDaemon, lxdLacks, lxdRows } from "../lxd/daemon";
import { OvnStack } from "../ovn/stack";
import {
  BUSYBOX_ALIAS,
  BUSYBOX_TARBALL,
  type Cli,
  cli,
  closeConnections,
  dropProject,
  expectNoOp,
  rand,
  requestLog,
  Resource,
  variantTarball,
} from "./kinds-harness";

type State = Record<string, unknown>;
jest.setTimeout(600_000);
const log = requestLog();
const project = `pit-life-${rand()}`;
const q = `?project=${project}`;
/** On LXD, every row runs on one private LXD daemon, the table's only server. */
const lxd = process.env.PULUMI_INCUS_LIFECYCLE_SERVER === "lxd" ? lxdDaemon(process.env.PULUMI_INCUS_VIA === "plugin" ? "pi-lxd2-lifep" : "life") : undefined;
const shared = cli(lxd?.dir);
const { incus, queryWrite, dropIfPresent } = shared;
/** The private daemon of the `private` rows: one per file (the plugin run has its own), started by the first such row. */
const privateDaemon = lxd ?? new FaultDaemon(`life-${process.env.PULUMI_INCUS_VIA ?? "engine"}`, { buckets: true, image: false });
const onPrivate = cli(privateDaemon.dir);
/** The OVN stack of the `ovn` rows: one per file (the plugin run has its own), started by the first such row. */
const ovnStack = new OvnStack(`life-ovn-${process.env.PULUMI_INCUS_VIA ?? "engine"}`);
const onOvn = cli(ovnStack.daemon.dir);
/** The cluster of the `cluster` rows: one per file (127.0.21.x here, 127.0.22.x for the plugin run), started by the first such row. */
const via = process.env.PULUMI_INCUS_VIA ?? "engine";
const lifeCluster = new ClusterDaemons(`life${via === "plugin" ? "p" : "e"}`, via === "plugin" ? 22 : 21);
const onCluster = cli(lifeCluster.member(1).daemon.dir);
/** The member the ClusterMember row manages. */
const MEMBER = lifeCluster.member(2).name;

/**
 * How the table picks out one of a row's objects, by a label of its own (the row's object, the one renamed, the one
 * adopted): the args that identify it, its API path for cleanup, and how to make one by hand (for adopt).
 */
interface Identity {
  /** The args that pick out the object labelled `label`. Default: `{ name: label }`. */
  args?(label: string): State;
  /** The API path of that object (without the project), to drop it after a failed step; none: the project's cleanup takes it. */
  path?(label: string): string;
  /** Makes that object outside the provider (for adopt). */
  makeByHand(label: string): void;
  /** One per server (the server's config): always there, nothing to adopt or delete out of band; delete gives it back. */
  singleton?: boolean;
}

interface Row {
  kind: KindName;
  /** Create args (name and project added by the table). */
  base: State;
  /** One override per field, each changing that field in place. */
  changes: State[];
  /** The field drift is made in (a map with `user.*` keys, or a scalar: see driftValue), and the fields that can be dropped from the program. */
  driftField: string;
  /** For a scalar driftField: the value set by hand. */
  driftValue?: unknown;
  removable: string[];
  renamable: boolean;
  scoped: boolean;
  identity: Identity;
  /** On the private daemon (its own socket and CLI), not the shared one. */
  private?: boolean;
  /** On the OVN stack's daemon (its own socket and CLI). */
  ovn?: boolean;
  /** On the private cluster (member 1's socket and CLI). */
  cluster?: boolean;
  /** What the row's objects live in (a zone for its records): made before the row, removed after it. */
  parent?: { make(): void; drop(): void };
  /** Makes the parents a child kind needs (an instance, a volume) in the table's project, before the row runs. */
  setUp?(): void;
}

/** The busybox tarball with another release: its own fingerprint, so the Image row never meets the test image. */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-life-"));
const IMAGE_FILE = variantTarball(scratch, "lifecycle");

const NO_ADDRESSES = { "ipv4.address": "none", "ipv6.address": "none" };

/** ACLs, zones and their records live in the default project here, like bridges (the table's project has neither feature). */
const ZONE = `life-${rand()}.example.internal`;
const RULE_SSH = { action: "allow", state: "enabled", protocol: "tcp", source: "10.0.0.0/8,192.168.0.0/16", destination_port: "22" };
const RULE_DROP = { action: "drop", state: "logged", destination: "198.51.100.0/24", description: "no test net" };
/** Parents of the child kinds' rows, and the test image's fingerprint (an image's is the sha256 of its tarball). */
const PARENT = `life-parent-${rand()}`;
const BUSYBOX_FP = createHash("sha256").update(fs.readFileSync(BUSYBOX_TARBALL)).digest("hex");
const [T1, T2, T3] = ["2031-01-01T00:00:00Z", "2032-02-02T00:00:00Z", "2033-03-03T00:00:00Z"];
/** A value per label, made the first time it is asked for (`i`: how many labels came before it). */
function memo<T>(make: (label: string, i: number) => T): (label: string) => T {
  const made = new Map<string, T>();
  return (label) => {
    if (!made.has(label)) made.set(label, make(label, made.size));
    return made.get(label)!;
  };
}
/**
 * Forwards: listen addresses in TEST-NET-1, one per label, on a bridge of the table's. Incus refuses a forward on a
 * bridge with no IPv4 subnet ("invalid CIDR address: none"), so this one has a private subnet, as in
 * kinds-network-forward.test.ts, with NAT, DHCP and IPv6 off; no packet is sent.
 */
const FWD_NET = `plf${rand()}`;
// 10.<200-249>.<1-250>.0/24: unlikely to meet another network of this host.
const FWD_SUBNET = `10.${200 + Math.floor(Math.random() * 50)}.${1 + Math.floor(Math.random() * 250)}`;
const listenOf = memo((_label, i) => `192.0.2.${10 + i}`);
const PORT_WEB = { protocol: "tcp", listen_port: "80,443", target_address: `${FWD_SUBNET}.5` };
const PORT_DNS = { protocol: "udp", listen_port: "53", target_address: `${FWD_SUBNET}.6`, target_port: "5353", description: "dns" };
/** Certificates: one PEM per label; the trust store keys them by fingerprint. */
const pemOf = memo((label) => opensslCertificate(label, 30).certificate);
const certPath = (label: string) => `/1.0/certificates/${certificateFingerprint(pemOf(label))}`;
const CERT_RENAMED = `life-cert-${rand()}`;
/** The bucket a StorageBucketKey row's keys belong to (on the private daemon). */
const KEY_BUCKET = `life-keys-${rand()}`;
const bucketPath = (name: string) => `/1.0/storage-pools/default/buckets/${name}`;
/** OVN rows: peers from LIFE_OVN1 (one per target network, so the adopted one targets LIFE_OVN3), load balancers on it. */
const [LIFE_OVN1, LIFE_OVN2, LIFE_OVN3] = ["plo1", "plo2", "plo3"];
const peerTarget = (label: string) => (label.startsWith("adopt-") ? LIFE_OVN3 : LIFE_OVN2);
const lbListen = memo((_label, i) => `192.0.2.${130 + i}`);
const BACKEND_A = { name: "a", target_address: "10.213.1.10", target_port: "8080" };
const BACKEND_B = { name: "b", target_address: "10.213.1.11", description: "second" };
const LB_WEB = { protocol: "tcp", listen_port: "80,443", target_backend: ["a"] };
const LB_DNS = { protocol: "udp", listen_port: "53", target_backend: ["a", "b"], description: "dns" };
const ovnNetworks = {
  make: () => {
    for (const [i, name] of [LIFE_OVN1, LIFE_OVN2, LIFE_OVN3].entries())
      onOvn.queryWrite("POST", "/1.0/networks", { name, type: "ovn", config: OvnStack.network(i + 1) });
  },
  drop: () => {
    for (const name of [LIFE_OVN1, LIFE_OVN2, LIFE_OVN3]) onOvn.dropIfPresent(`/1.0/networks/${name}`);
  },
};

const table: Row[] = [
  {
    kind: "Project",
    base: { description: "d1", config: { "limits.containers": "3", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "limits.containers": "4", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: false,
    identity: {
      makeByHand: (name) => queryWrite("POST", "/1.0/projects", { name, description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/projects/${name}`,
    },
  },
  {
    kind: "Profile",
    base: { description: "d1", config: { "limits.cpu": "1", "user.a": "1" }, devices: { d1: { type: "none" } } },
    changes: [{ description: "d2" }, { config: { "limits.cpu": "2", "user.a": "1" } }, { devices: { d1: { type: "none" }, d2: { type: "none" } } }],
    driftField: "config",
    removable: ["description", "config", "devices"],
    renamable: true,
    scoped: true,
    identity: { makeByHand: (name) => queryWrite("POST", `/1.0/profiles${q}`, { name, description: "by hand", config: { "user.hand": "1" } }) },
  },
  {
    kind: "Network",
    base: { description: "d1", config: { ...NO_ADDRESSES, "bridge.mtu": "1400", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { ...NO_ADDRESSES, "bridge.mtu": "1450", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: false, // bridges live in the default project (other projects may only hold OVN networks)
    identity: {
      makeByHand: (name) => queryWrite("POST", "/1.0/networks", { name, description: "by hand", config: { ...NO_ADDRESSES, "user.hand": "1" } }),
      path: (name) => `/1.0/networks/${name}`,
    },
  },
  {
    kind: "StoragePool",
    base: { driver: "dir", description: "d1", config: { "rsync.bwlimit": "10", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "rsync.bwlimit": "20", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: false,
    identity: {
      makeByHand: (name) => queryWrite("POST", "/1.0/storage-pools", { name, driver: "dir", description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/storage-pools/${name}`,
    },
  },
  {
    kind: "StorageVolume",
    base: { pool: "default", description: "d1", config: { size: "10MiB", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { size: "20MiB", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: true,
    identity: {
      makeByHand: (name) => queryWrite("POST", `/1.0/storage-pools/default/volumes/custom${q}`, { name, description: "by hand", config: { "user.hand": "1" } }),
    },
  },
  {
    kind: "Image",
    base: { file: IMAGE_FILE, properties: { "user.a": "1", "user.b": "2" }, public: false },
    changes: [{ properties: { "user.a": "3", "user.b": "2" } }, { public: true }, { profiles: [] }],
    driftField: "properties",
    removable: ["properties", "public", "profiles"],
    renamable: false,
    scoped: true,
    // The table's own image is there already (same content, same fingerprint): adopt takes that one.
    identity: { makeByHand: () => undefined },
  },
  {
    kind: "Instance",
    base: { image: BUSYBOX_ALIAS, description: "d1", config: { "user.a": "1", "limits.memory": "64MiB" }, devices: { d1: { type: "none" } } },
    changes: [{ description: "d2" }, { config: { "user.a": "1", "limits.memory": "96MiB" } }, { devices: { d1: { type: "none" }, d2: { type: "none" } } }],
    driftField: "config",
    removable: ["description", "config", "devices"],
    renamable: true,
    scoped: true,
    identity: { makeByHand: (name) => incus("create", BUSYBOX_ALIAS, name, "--project", project, "-c", "user.hand=1") },
  },
  {
    kind: "NetworkAcl",
    base: { description: "d1", ingress: [RULE_SSH], config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }, { ingress: [RULE_SSH, RULE_DROP] }, { egress: [RULE_DROP] }],
    driftField: "config",
    removable: ["description", "ingress", "egress", "config"],
    renamable: true,
    scoped: false,
    identity: {
      makeByHand: (name) => queryWrite("POST", "/1.0/network-acls", { name, description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/network-acls/${name}`,
    },
  },
  {
    kind: "NetworkZone",
    base: { description: "d1", config: { "dns.nameservers": "ns1.example.internal", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "dns.nameservers": "ns2.example.internal", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: false,
    identity: {
      makeByHand: (name) => queryWrite("POST", "/1.0/network-zones", { name, description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/network-zones/${name}`,
    },
  },
  {
    kind: "NetworkZoneRecord",
    base: { zone: ZONE, description: "d1", entries: [{ type: "A", value: "10.1.2.3" }], config: { "user.a": "1", "user.b": "2" } },
    changes: [
      { description: "d2" },
      {
        entries: [
          { type: "A", value: "10.1.2.4" },
          { type: "TXT", value: "v=1", ttl: 300 },
        ],
      },
      { config: { "user.a": "2", "user.b": "2" } },
    ],
    driftField: "config",
    removable: ["description", "entries", "config"],
    renamable: false,
    scoped: false,
    identity: {
      makeByHand: (name) => queryWrite("POST", `/1.0/network-zones/${ZONE}/records`, { name, description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/network-zones/${ZONE}/records/${name}`,
    },
    parent: { make: () => queryWrite("POST", "/1.0/network-zones", { name: ZONE }), drop: () => dropIfPresent(`/1.0/network-zones/${ZONE}`) },
  },
  {
    kind: "InstanceSnapshot",
    base: { instance: PARENT, expiresAt: T1 },
    changes: [{ expiresAt: T2 }],
    driftField: "expiresAt",
    driftValue: T3,
    removable: ["expiresAt"],
    renamable: true,
    scoped: true,
    identity: { makeByHand: (name) => incus("snapshot", "create", PARENT, name, "--project", project) },
    setUp: () => incus("create", BUSYBOX_ALIAS, PARENT, "--project", project),
  },
  {
    kind: "StorageVolumeSnapshot",
    base: { pool: "default", volume: PARENT, description: "d1", expiresAt: T1 },
    changes: [{ description: "d2" }, { expiresAt: T2 }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description", "expiresAt"],
    renamable: true,
    scoped: true,
    identity: { makeByHand: (name) => incus("storage", "volume", "snapshot", "create", "default", PARENT, name, "--project", project) },
    setUp: () => incus("storage", "volume", "create", "default", PARENT, "--project", project),
  },
  {
    kind: "ImageAlias",
    base: { target: BUSYBOX_FP, description: "d1" },
    changes: [{ description: "d2" }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description"],
    renamable: true,
    scoped: true,
    identity: { makeByHand: (name) => incus("image", "alias", "create", name, BUSYBOX_FP, "--project", project) },
  },
  {
    kind: "NetworkForward",
    base: { network: FWD_NET, description: "d1", config: { "user.a": "1", "user.b": "2" }, ports: [PORT_WEB] },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }, { ports: [PORT_WEB, PORT_DNS] }],
    driftField: "config",
    removable: ["description", "config", "ports"],
    renamable: false,
    scoped: false, // in the bridge's project (the table's has no features.networks)
    identity: {
      args: (label) => ({ name: label, listenAddress: listenOf(label) }),
      path: (label) => `/1.0/networks/${FWD_NET}/forwards/${listenOf(label)}`,
      makeByHand: (label) =>
        queryWrite("POST", `/1.0/networks/${FWD_NET}/forwards`, { listen_address: listenOf(label), description: "by hand", config: { "user.hand": "1" } }),
    },
    parent: {
      make: () =>
        queryWrite("POST", "/1.0/networks", {
          name: FWD_NET,
          config: { "ipv4.address": `${FWD_SUBNET}.1/24`, "ipv4.nat": "false", "ipv4.dhcp": "false", "ipv6.address": "none" },
        }),
      drop: () => dropIfPresent(`/1.0/networks/${FWD_NET}`),
    },
  },
  {
    kind: "Certificate",
    base: { description: "d1", restricted: true, projects: ["default"] },
    changes: [{ description: "d2" }, { restricted: false }, { projects: [] }, { name: CERT_RENAMED }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description", "restricted", "projects"],
    renamable: false, // the name is a label, changed in place above
    scoped: false,
    identity: {
      args: (label) => ({ name: label, certificate: pemOf(label) }),
      path: certPath,
      makeByHand: (label) =>
        queryWrite("POST", "/1.0/certificates", { name: label, type: "client", description: "by hand", certificate: certificateBase64Der(pemOf(label)) }),
    },
  },
  {
    kind: "ServerConfig",
    base: { config: { "images.auto_update_interval": "7", "user.a": "1", "user.b": "2" } },
    changes: [{ config: { "images.auto_update_interval": "8", "user.a": "1", "user.b": "2" } }],
    driftField: "config",
    removable: ["config"],
    renamable: false,
    scoped: false,
    private: true,
    identity: { singleton: true, makeByHand: () => undefined },
  },
  {
    kind: "StorageBucket",
    base: { pool: "default", description: "d1", config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: true,
    private: true,
    identity: {
      makeByHand: (name) =>
        onPrivate.queryWrite("POST", `/1.0/storage-pools/default/buckets${q}`, { name, description: "by hand", config: { "user.hand": "1" } }),
    },
  },
  {
    kind: "StorageBucketKey",
    base: { pool: "default", bucket: KEY_BUCKET, description: "d1", role: "admin" },
    changes: [{ description: "d2" }, { role: "read-only" }, { accessKey: `life-acc-${rand()}` }, { secretKey: `life-secret-${rand()}${rand()}` }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description", "role"],
    renamable: false,
    scoped: true,
    private: true,
    identity: { makeByHand: (name) => onPrivate.queryWrite("POST", `${bucketPath(KEY_BUCKET)}/keys${q}`, { name, description: "by hand", role: "admin" }) },
    parent: {
      make: () => onPrivate.queryWrite("POST", `/1.0/storage-pools/default/buckets${q}`, { name: KEY_BUCKET }),
      drop: () => onPrivate.dropIfPresent(`${bucketPath(KEY_BUCKET)}${q}`),
    },
  },
  {
    kind: "NetworkPeer",
    base: { network: LIFE_OVN1, description: "d1", config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: false, // in the networks' project (the table's has no features.networks)
    ovn: true,
    identity: {
      args: (label) => ({ name: label, targetNetwork: peerTarget(label) }),
      path: (label) => `/1.0/networks/${LIFE_OVN1}/peers/${label}`,
      makeByHand: (label) =>
        onOvn.queryWrite("POST", `/1.0/networks/${LIFE_OVN1}/peers`, {
          name: label,
          target_network: peerTarget(label),
          description: "by hand",
          config: { "user.hand": "1" },
        }),
    },
    parent: ovnNetworks,
  },
  {
    kind: "NetworkLoadBalancer",
    base: { network: LIFE_OVN1, description: "d1", config: { "user.a": "1", "user.b": "2" }, backends: [BACKEND_A], ports: [LB_WEB] },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }, { backends: [BACKEND_A, BACKEND_B] }, { ports: [LB_WEB, LB_DNS] }],
    driftField: "config",
    removable: ["description", "config", "backends", "ports"],
    renamable: false,
    scoped: false,
    ovn: true,
    identity: {
      args: (label) => ({ name: label, listenAddress: lbListen(label) }),
      path: (label) => `/1.0/networks/${LIFE_OVN1}/load-balancers/${lbListen(label)}`,
      makeByHand: (label) =>
        onOvn.queryWrite("POST", `/1.0/networks/${LIFE_OVN1}/load-balancers`, {
          listen_address: lbListen(label),
          description: "by hand",
          config: { "user.hand": "1" },
        }),
    },
    parent: ovnNetworks,
  },
  {
    kind: "NetworkIntegration",
    base: {
      description: "d1",
      config: { "ovn.transit.pattern": "ts-{{ integrationName }}-{{ projectName }}-{{ networkName }}", "user.a": "1", "user.b": "2" },
    },
    changes: [{ description: "d2" }, { config: { "ovn.transit.pattern": "ts-{{ networkName }}", "user.a": "1", "user.b": "2" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: false,
    ovn: true,
    identity: {
      makeByHand: (name) => onOvn.queryWrite("POST", "/1.0/network-integrations", { name, type: "ovn", description: "by hand", config: { "user.hand": "1" } }),
      path: (name) => `/1.0/network-integrations/${name}`,
    },
  },
  {
    kind: "ClusterGroup",
    base: { description: "d1", members: [] },
    changes: [{ description: "d2" }, { members: [MEMBER] }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description", "members"],
    renamable: true,
    scoped: false,
    cluster: true,
    identity: {
      makeByHand: (name) => onCluster.queryWrite("POST", "/1.0/cluster/groups", { name, description: "by hand", members: [] }),
      path: (name) => `/1.0/cluster/groups/${name}`,
    },
  },
  {
    kind: "ClusterMember",
    base: { description: "d1", failureDomain: "fd1", config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { failureDomain: "fd2" }, { config: { "user.a": "3", "user.b": "2" } }],
    driftField: "config",
    removable: ["description", "failureDomain", "config"],
    renamable: false,
    scoped: false,
    cluster: true,
    // A member that has joined: always there (adopt-only), never deleted; delete gives back what the program set.
    identity: { singleton: true, args: () => ({ name: MEMBER }), makeByHand: () => undefined },
  },
];

beforeAll(async () => {
  if (lxd) await lxd.create();
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
  // The project's own default profile gets a root disk, as a new project's does not have one.
  queryWrite("PUT", `/1.0/profiles/default${q}`, { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } });
  incus("image", "import", BUSYBOX_TARBALL, "--project", project, "--alias", BUSYBOX_ALIAS);
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  if (!lxd) dropProject(project); // on LXD the project goes with the private daemon (dropProject talks to the shared one)
  if (privateStarted || lxd) await privateDaemon.destroy();
  if (ovnStarted) await ovnStack.stop();
  if (clusterStarted) await lifeCluster.destroy();
  fs.rmSync(scratch, { recursive: true, force: true });
}, 180_000);

/** Starts the private daemon (once): a dir pool, no image, and the table's project (buckets are a project feature). */
let privateStarted: Promise<void> | undefined;
function startPrivate(): Promise<void> {
  if (lxd) return Promise.resolve();
  privateStarted ??= privateDaemon
    .create()
    .then(() => onPrivate.queryWrite("POST", "/1.0/projects", { name: project, config: { "features.storage.buckets": "true" } }));
  return privateStarted;
}

/** Starts the OVN stack (once). */
let ovnStarted: Promise<void> | undefined;
const startOvn = (): Promise<void> => (ovnStarted ??= ovnStack.start());
/** Forms the cluster of the `cluster` rows (once). */
let clusterStarted: Promise<void> | undefined;
function startCluster(): Promise<void> {
  clusterStarted ??= lifeCluster.create();
  return clusterStarted;
}

/** The row's base args. Once every kind declares an `example`, this one line becomes `({ ...kinds[row.kind].example.args, ...row.base })`. */
const baseOf = (row: Row): State => row.base;

/** What the server has for one of the program's fields (its API name), via the CLI, in the program's form. */
function liveField(kind: KindName, live: State, field: string): unknown {
  const fs = (kinds[kind].fields as Record<string, { api?: string; fromLive?: (v: unknown) => unknown }>)[field];
  const v = live[fs?.api ?? field];
  return fs?.fromLive ? fs.fromLive(v) : v;
}

// On LXD: the rows that run on the table's own daemon (the OVN and cluster rows have daemons of their own).
const onOwnDaemon = table.filter((r) => !r.ovn && !r.cluster);
describe.each(lxd ? lxdRows(onOwnDaemon) : table)("$kind", (row) => {
  const tag = rand();
  const name = row.kind === "Network" ? `pl${tag}` : `life-${tag}`;
  const { query, queryWrite, incus, dropIfPresent }: Cli = row.private ? onPrivate : row.ovn ? onOvn : row.cluster ? onCluster : shared;
  /** The args that pick out the object labelled `label`, on the row's daemon and in the row's project. */
  const where = (label: string, args: State): State => ({
    ...args,
    ...(row.identity.args?.(label) ?? { name: label }),
    ...(row.scoped ? { project } : {}),
    ...(row.private || lxd ? { socket: privateDaemon.socket } : {}),
    ...(row.ovn ? { socket: ovnStack.daemon.socket } : {}),
    ...(row.cluster ? { socket: lifeCluster.member(1).daemon.socket } : {}),
  });
  const r = new Resource(row.kind, where(name, baseOf(row)));
  const at = (id: string) => `${id.split("?")[0]}${row.scoped ? q : ""}`;
  /** The live object as the CLI sees it. */
  const live = (): State => query(at(r.id)) as State;
  /** The server has every field the program declares (map fields: every declared key, and no dropped key). */
  const expectServerHas = (args: State, dropped: Record<string, string[]> = {}) => {
    const l = live();
    for (const [field, want] of Object.entries(args)) {
      if (!(field in kinds[row.kind].fields) || field === "type") continue;
      const have = liveField(row.kind, l, field);
      if (want && typeof want === "object" && !Array.isArray(want)) expect({ field, have }).toEqual({ field, have: expect.objectContaining(want as State) });
      else expect({ field, have }).toEqual({ field, have: want });
    }
    for (const [field, keys] of Object.entries(dropped)) for (const k of keys) expect(Object.keys(liveField(row.kind, l, field) as State)).not.toContain(k);
  };
  /** A no-op: diff says unchanged, and nothing but reads was sent. */
  const noOp = () => expectNoOp(r, log);
  /** A map field the server shows only for the keys the program declares (the server's config): others' keys stay. */
  const onlyDeclared = !!(kinds[row.kind].fields as Record<string, { onlyDeclared?: boolean }>)[row.driftField]?.onlyDeclared;

  beforeAll(async () => {
    if (row.private) await startPrivate();
    if (row.ovn) await startOvn();
    if (row.cluster) await startCluster();
    row.parent?.make();
    row.setUp?.();
  }, 45 * 60_000);
  afterAll(() => {
    // Whatever a failed step left behind.
    for (const label of [name, `${name}-r`]) {
      const path = row.identity.path?.(label);
      if (path) dropIfPresent(at(path));
    }
    row.parent?.drop();
  });

  it("create: the server gets what the program declares", async () => {
    await r.create();
    expectServerHas(r.args);
  });

  it("no-op: a second up sends no write", noOp);

  it("each field changed in place", async () => {
    for (const change of row.changes) {
      const args = { ...r.args, ...change };
      expect(await r.up(args)).toEqual({ changes: true });
      expectServerHas(args);
      await noOp();
    }
  });

  it('"" and null mean "not set": a key set to null or "" goes, and then nothing more is written', async () => {
    const field = row.driftField;
    if (row.driftValue !== undefined) {
      // No map field: only the top-level half applies.
      await r.up({ ...r.args, description: null });
      await noOp();
      return;
    }
    const map = r.args[field] as State;
    const [first, second] = Object.keys(map).filter((k) => k.startsWith("user."));
    const withUnset = { ...r.args, [field]: { ...map, [first]: null, ...(second ? { [second]: "" } : {}) } };
    await r.up(withUnset);
    expectServerHas({}, { [field]: [first, ...(second ? [second] : [])] });
    await noOp();
    // A top-level field set to "" or null is not declared: it keeps no hold on the server.
    await r.up({ ...withUnset, description: null });
    await noOp();
  });

  it("each field removed from the program is reset to Incus's unset value", async () => {
    await r.up(where(name, baseOf(row)));
    const args = { ...r.args };
    for (const field of row.removable) delete args[field];
    expect(await r.up(args)).toEqual({ changes: true });
    const l = live();
    for (const field of row.removable) {
      const fs = (kinds[row.kind].fields as Record<string, { empty?: unknown }>)[field];
      // In the program's form (a record's empty entry list is `null` on the server).
      const have = liveField(row.kind, l, field);
      if (fs.empty && typeof fs.empty === "object" && !Array.isArray(fs.empty)) {
        // Maps: none of the program's keys is left (keys the server keeps for itself may remain).
        for (const k of Object.keys((baseOf(row)[field] ?? {}) as State)) expect({ field, k, have: (have as State)[k] }).toEqual({ field, k, have: undefined });
      } else {
        expect({ field, have }).toEqual({ field, have: fs.empty });
      }
    }
    await noOp();
  });

  it("drift made by hand is shown and reverted", async () => {
    const base = baseOf(row);
    await r.up(where(name, base));
    const l = live();
    const field = row.driftField;
    if (row.driftValue !== undefined) {
      const api = (kinds[row.kind].fields as Record<string, { api?: string }>)[field]?.api ?? field;
      queryWrite("PUT", at(r.id), { ...l, [api]: row.driftValue });
      expect(await r.diff()).toEqual({ changes: true });
      expect(r.printed.join("\n")).toContain(`${field}: server has ${JSON.stringify(row.driftValue)}, program wants ${JSON.stringify(base[field])}`);
      await r.up();
      expectServerHas(r.args);
      await noOp();
      return;
    }
    const key = Object.keys(base[field] as State).find((k) => k.startsWith("user."))!;
    const api = field;
    const body = { ...l, [api]: { ...(l[api] as State), [key]: "by-hand", "user.hand": "x" } };
    queryWrite("PUT", at(r.id), body);
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`${field}["${key}"]: server has "by-hand", program wants "${(base[field] as State)[key]}"`);
    if (onlyDeclared) {
      // A key the program never named is someone else's: not shown, and kept.
      expect(r.printed.join("\n")).not.toContain(`${field}["user.hand"]`);
      await r.up();
      expectServerHas({ ...r.args, [field]: { ...(r.args[field] as State), "user.hand": "x" } });
    } else {
      expect(r.printed.join("\n")).toContain(`${field}["user.hand"]: server has "x", program wants unset`);
      await r.up();
      expectServerHas(r.args, { [field]: ["user.hand"] });
    }
    await noOp();
  });

  it("rename (where Incus can) is in place", async () => {
    if (!row.renamable) return;
    const oldId = r.id;
    expect(await r.up({ ...r.args, name: `${name}-r` })).toEqual({ changes: true });
    expect(query(at(oldId))).toBeUndefined();
    expect(query(at(oldId.split("?")[0].replace(/[^/]+$/, `${name}-r`)))).toBeDefined();
    // Pulumi keeps the id; the engine finds the object by the name in state.
    expect(await r.up({ ...r.args, name })).toEqual({ changes: true });
    await noOp();
  });

  it("out-of-band delete: refresh drops it, and the next up creates it again", async () => {
    if (row.identity.singleton) {
      // The server's config cannot be deleted: refresh reads back what the program manages.
      expect((await r.read()).props).toMatchObject({ [row.driftField]: baseOf(row)[row.driftField] });
      return;
    }
    if (row.kind === "Instance") incus("delete", "--force", name, "--project", project);
    else queryWrite("DELETE", at(r.id));
    expect(await r.read()).toEqual({});
    await r.create();
    expectServerHas(r.args);
  });

  it("adopt: the preview says what adopting changes; up takes the object over without re-creating it", async () => {
    if (row.identity.singleton) return; // one per server: create takes it over (kinds-server-config.test.ts)
    const other = row.kind === "Network" ? `pa${tag}` : `adopt-${tag}`;
    row.identity.makeByHand(other);
    try {
      const adopted = new Resource(row.kind, { ...where(other, baseOf(row)), adopt: true });
      const lines: string[] = [];
      const spy = jest.spyOn(console, "log").mockImplementation((l) => void lines.push(String(l)));
      try {
        await adopted.check();
      } finally {
        spy.mockRestore();
      }
      expect(lines.join("\n")).toMatch(/exists and will be adopted: /);
      // Keys the object had before it was adopted and the program does not name stay the user's.
      expect(lines.join("\n")).not.toContain(`["user.hand"]`);
      if (baseOf(row).description !== undefined) expect(lines.join("\n")).toMatch(/description: server has "[^"]*", program wants "d1"/);
      log.take();
      await adopted.create();
      // No create request: the existing object was taken over, and what the user had set stays.
      expect(log.takeWrites().filter((w) => w.startsWith("POST ") && !w.includes("/state") && !w.includes("/aliases"))).toEqual([]);
      if (row.kind !== "Image" && row.driftValue === undefined) {
        const l = query(at(adopted.id)) as State;
        expect(l[row.driftField]).toMatchObject({ "user.hand": "1", ...(baseOf(row)[row.driftField] as State) });
      }
      await adopted.delete();
    } finally {
      const path = row.identity.path?.(other);
      if (path) dropIfPresent(at(path));
    }
  });

  it("delete removes it", async () => {
    await r.delete();
    // The server's config stays; what the program set goes back to what it was (unset here).
    if (row.identity.singleton) expectServerHas({}, { [row.driftField]: Object.keys(baseOf(row)[row.driftField] as State) });
    else expect(query(at(r.id))).toBeUndefined();
  });
});

// The kinds LXD lacks: the preview refuses the resource, naming the server and the API extension, and sends nothing
// but the one GET /1.0 that says which server it is.
if (lxd)
  describe.each(lxdLacks(table))("$kind on LXD", (row) => {
    it("is refused at preview: the server has no such API extension", async () => {
      const label = `life-${rand()}`;
      const args = { ...baseOf(row), ...(row.identity.args?.(label) ?? { name: label }), ...(row.scoped ? { project } : {}), socket: privateDaemon.socket };
      log.take();
      const err = await new Resource(row.kind, args).check().catch((e: Error) => e);
      expect(String((err as Error).message)).toMatch(new RegExp(`^${row.kind} "life-\\w+": LXD 5\\.0\\.2 has no .* \\(API extension \\w+\\)$`));
      expect(log.take().filter((l) => l !== "GET /1.0")).toEqual([]);
    });
  });
