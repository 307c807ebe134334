// The bad-input corpus: every kind's check() refuses each bad input with a failure whose property is the field at
// fault and whose reason names that field and says what to fix, before any request is sent. Unit level: no daemon
// (INCUS_SOCKET points at a socket that does not exist, and the request log must stay empty). A few of these also
// run through the real engine in tests/e2e/bad-input.test.ts. check.test.ts holds the first table of bad cases and
// the rules around it (unknown values, normalisation); the cases here do not repeat those.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KindEngine, type KindName, kinds } from "pulumi-incus/provider";
import { opensslCertificate } from "../certs";
import { exampleArgs } from "../examples";

type State = Record<string, unknown>;
const engine = (kind: KindName) => new KindEngine(kinds[kind] as any);
const KINDS = Object.keys(kinds) as KindName[];
const SCOPED = KINDS.filter((k) => kinds[k].scoped);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pi-corpus-"));
const tarball = path.join(tmp, "image.tar.gz");
const metadata = path.join(tmp, "meta.tar");
const rootfs = path.join(tmp, "rootfs.squashfs");
const missing = path.join(tmp, "missing.tar.gz");
const requestLog = path.join(tmp, "requests.log");
fs.writeFileSync(tarball, "not really a tarball, but check only hashes it");
fs.writeFileSync(metadata, "metadata");
fs.writeFileSync(rootfs, "rootfs");
/** A CLI config dir with no config.yml: only the built-in remotes (`local`, `images`) exist. */
const emptyConfigDir = path.join(tmp, "incus-conf");
fs.mkdirSync(emptyConfigDir);

const saved = { socket: process.env.INCUS_SOCKET, log: process.env.PULUMI_INCUS_REQUEST_LOG };
beforeAll(() => {
  process.env.INCUS_SOCKET = path.join(tmp, "no-such.socket");
  process.env.PULUMI_INCUS_REQUEST_LOG = requestLog;
});
afterAll(() => {
  for (const [key, value] of [
    ["INCUS_SOCKET", saved.socket],
    ["PULUMI_INCUS_REQUEST_LOG", saved.log],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Valid inputs per kind (its declaration's example), to which each case adds (or, with undefined, removes) fields. */
const valid: Record<KindName, State> = exampleArgs(tarball);
const pem = opensslCertificate("corpus", 1);

/** The requests sent since the last call ("METHOD path" lines; the client logs each one before sending it). */
function takeRequests(): string[] {
  if (!fs.existsSync(requestLog)) return [];
  const lines = fs.readFileSync(requestLog, "utf8").split("\n").filter(Boolean);
  fs.rmSync(requestLog);
  return lines;
}

function withOverrides(base: State, overrides: State): State {
  const out = { ...base, ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete out[k];
  return out;
}

/** [kind, what is wrong, overrides, the property the failure must name, what the reason must say beyond the name]. */
type BadCase = [KindName, string, State, string, RegExp];

// Messages the schemas give, by what is wrong.
const wrongType = (expected: string) => new RegExp(`expected ${expected}, received`);
const notAName = /must not contain slashes or spaces, or start with a dot/;
const notADnsLabel = /must be a DNS label: letters, digits and '-', starting with a letter/;
const notAConfigValue = /must be a string, number or boolean/;
const oneOf = (...options: string[]) => new RegExp(`expected one of ${options.map((o) => `"${o}"`).join("\\|")}`);
const hint = (field: string) => new RegExp(`has no such field \\(did you mean \`${field}\`\\?\\)$`);

// ---- fields every kind has: name, connection settings, adopt, misspelt field names ---------------------------

const shared: BadCase[] = KINDS.flatMap((kind): BadCase[] => [
  [kind, "name not a string", { name: 42 }, "name", wrongType("string")],
  [kind, "remote not a string", { remote: 1 }, "remote", wrongType("string")],
  [kind, "socket not a string", { socket: true }, "socket", wrongType("string")],
  [kind, "configDir not a string", { configDir: ["/etc/incus"] }, "configDir", wrongType("string")],
  // The server config always exists, and a cluster member must have joined: there is nothing to adopt.
  ...(kind === "ServerConfig" || kind === "ClusterMember"
    ? []
    : ([[kind, "adopt not a boolean", { adopt: "yes" }, "adopt", wrongType("boolean")]] as BadCase[])),
  [kind, "field name in capitals", { NAME: "x" }, "NAME", hint("name")],
  [kind, "snake_case connection field", { config_dir: "/tmp" }, "config_dir", hint("configDir")],
  // Resolving the remote reads the CLI config only (no request), so an unknown one is refused at check.
  [kind, "remote not in the CLI config", { remote: "nowhere", configDir: emptyConfigDir }, "remote", /Incus remote "nowhere" is not in .*config\.yml/],
]);

// Project-scoped kinds: the project field.
const scoped: BadCase[] = SCOPED.flatMap((kind): BadCase[] => [
  [kind, "project not a string", { project: 7 }, "project", wrongType("string")],
  [kind, "misspelt project", { projet: "lab" }, "projet", hint("project")],
]);

// ---- each kind's own fields ------------------------------------------------------------------------------------

const own: BadCase[] = [
  ["Project", "name with a backslash", { name: "a\\b" }, "name", notAName],
  ["Project", "name with a tab", { name: "lab\t2" }, "name", notAName],
  ["Project", "name starting with a dot", { name: ".lab" }, "name", notAName],
  ["Project", "name of 64 characters", { name: "p".repeat(64) }, "name", /at most 63 characters/],
  ["Project", "description not a string", { description: 5 }, "description", wrongType("string")],
  ["Project", "config as a string", { config: "limits.cpu=2" }, "config", wrongType("record")],
  ["Project", "config as a list", { config: ["limits.cpu=2"] }, "config", wrongType("record")],
  ["Project", "empty config key", { config: { "": "1" } }, 'config[""]', /config keys must not be empty/],
  ["Project", "list as config value", { config: { "features.images": [true] } }, 'config["features.images"]', notAConfigValue],
  ["Project", "deleteContents as a number", { deleteContents: 1 }, "deleteContents", wrongType("boolean")],
  ["Project", "deleteContents as the string true", { deleteContents: "true" }, "deleteContents", wrongType("boolean")],
  ["Project", "misspelt deleteContents", { deleteContent: true }, "deleteContent", hint("deleteContents")],
  ["Project", "misspelt config", { confg: {} }, "confg", hint("config")],
  ["Project", "a field only instances have", { devices: {} }, "devices", /Project has no such field/],

  ["Profile", "name with a slash", { name: "web/v2" }, "name", notAName],
  ["Profile", "name starting with a dot", { name: ".web" }, "name", notAName],
  ["Profile", "description too long", { description: "d".repeat(4097) }, "description", /<=4096 characters/],
  ["Profile", "description as a list", { description: ["web"] }, "description", wrongType("string")],
  ["Profile", "config as a number", { config: 2 }, "config", wrongType("record")],
  ["Profile", "object as config value", { config: { "security.nesting": { on: true } } }, 'config["security.nesting"]', notAConfigValue],
  ["Profile", "devices as a string", { devices: "eth0" }, "devices", wrongType("record")],
  ["Profile", "devices as a list", { devices: [{ type: "nic" }] }, "devices", wrongType("record")],
  ["Profile", "device as a string", { devices: { root: "disk" } }, "devices.root", wrongType("record")],
  ["Profile", "device with an empty type", { devices: { root: { type: "", path: "/" } } }, "devices.root", /every device needs a `type`/],
  [
    "Profile",
    "device option as an object",
    { devices: { root: { type: "disk", path: "/", pool: { name: "default" } } } },
    "devices.root.pool",
    notAConfigValue,
  ],
  ["Profile", "device with an empty name", { devices: { "": { type: "disk", path: "/" } } }, 'devices[""]', /device names must not be empty/],
  ["Profile", "misspelt devices", { device: {} }, "device", hint("devices")],
  ["Profile", "misspelt description", { desc: "x" }, "desc", /Profile has no such field/],

  ["Network", "underscore in name", { name: "br_0" }, "name", notADnsLabel],
  ["Network", "dot in name", { name: "br.0" }, "name", notADnsLabel],
  ["Network", "name starting with a hyphen", { name: "-br" }, "name", notADnsLabel],
  ["Network", "name ending with a hyphen", { name: "br-" }, "name", /must not end with '-'/],
  ["Network", "name of 16 characters", { name: "b".repeat(16) }, "name", /at most 15 characters \(a network interface name\)/],
  ["Network", "type in capitals", { type: "Bridge" }, "type", oneOf("bridge", "macvlan", "sriov", "ovn", "physical")],
  ["Network", "type as a number", { type: 1 }, "type", oneOf("bridge", "macvlan", "sriov", "ovn", "physical")],
  ["Network", "description as a boolean", { description: true }, "description", wrongType("string")],
  ["Network", "config as a string", { config: "ipv4.address=none" }, "config", wrongType("record")],
  [
    "Network",
    "object as config value",
    { config: { "ipv4.address": "none", "ipv6.address": "none", "bridge.mtu": { v: 1500 } } },
    'config["bridge.mtu"]',
    notAConfigValue,
  ],
  ["Network", "misspelt config", { conifg: {} }, "conifg", hint("config")],
  ["Network", "a field only instances have", { devices: {} }, "devices", /Network has no such field/],

  ["StoragePool", "slash in name", { name: "pool/a" }, "name", notAName],
  ["StoragePool", "space in name", { name: "fast pool" }, "name", notAName],
  ["StoragePool", "name starting with a dot", { name: ".pool" }, "name", notAName],
  ["StoragePool", "name of 64 characters", { name: "s".repeat(64) }, "name", /at most 63 characters/],
  ["StoragePool", "driver in capitals", { driver: "DIR" }, "driver", oneOf("dir", "btrfs", "lvm", "zfs", "ceph", "cephfs", "cephobject", "lvmcluster")],
  ["StoragePool", "driver as a list", { driver: ["dir"] }, "driver", /expected one of "dir"/],
  ["StoragePool", "description as a number", { description: 0 }, "description", wrongType("string")],
  ["StoragePool", "config as a list", { config: [] }, "config", wrongType("record")],
  ["StoragePool", "list as config value", { config: { size: ["1GiB"] } }, "config.size", notAConfigValue],
  ["StoragePool", "misspelt driver", { drivr: "zfs" }, "drivr", hint("driver")],
  ["StoragePool", "project on a global kind", { project: "lab" }, "project", /StoragePool has no such field/],

  ["StorageVolume", "pool as a number", { pool: 5 }, "pool", wrongType("string")],
  ["StorageVolume", "pool as a list", { pool: ["default"] }, "pool", wrongType("string")],
  ["StorageVolume", "content type in capitals", { contentType: "Block" }, "contentType", oneOf("filesystem", "block", "iso")],
  ["StorageVolume", "content type as a boolean", { contentType: true }, "contentType", oneOf("filesystem", "block", "iso")],
  ["StorageVolume", "slash in name", { name: "data/1" }, "name", notAName],
  ["StorageVolume", "name starting with a space", { name: " data" }, "name", notAName],
  ["StorageVolume", "name of 64 characters", { name: "v".repeat(64) }, "name", /at most 63 characters/],
  ["StorageVolume", "description as an object", { description: { text: "x" } }, "description", wrongType("string")],
  ["StorageVolume", "config as a string", { config: "size=1GiB" }, "config", wrongType("record")],
  ["StorageVolume", "object as config value", { config: { size: { gib: 1 } } }, "config.size", notAConfigValue],
  ["StorageVolume", "snake_case contentType", { content_type: "block" }, "content_type", /StorageVolume has no such field/],
  ["StorageVolume", "misspelt contentType", { contenType: "block" }, "contenType", hint("contentType")],

  ["Image", "file as a number", { file: 5 }, "file", wrongType("string")],
  ["Image", "file that is a directory", { file: tmp }, "file", /no such file/],
  ["Image", "metadataFile that does not exist", { file: undefined, metadataFile: missing, rootfsFile: rootfs }, "metadataFile", /no such file/],
  ["Image", "rootfsFile that does not exist", { file: undefined, metadataFile: metadata, rootfsFile: missing }, "rootfsFile", /no such file/],
  ["Image", "rootfs without metadata", { file: undefined, rootfsFile: rootfs }, "metadataFile", /a split image needs both `metadataFile` and `rootfsFile`/],
  [
    "Image",
    "file and a split image",
    { metadataFile: metadata, rootfsFile: rootfs },
    "file",
    /give exactly one of `file`, `metadataFile` \+ `rootfsFile`, `source` or `sourceInstance`/,
  ],
  ["Image", "file and a source", { source: { server: "https://images.example.org", alias: "debian/12" } }, "file", /give exactly one of/],
  ["Image", "source as a string", { file: undefined, source: "https://images.example.org" }, "source", wrongType("object")],
  ["Image", "source server not a URL", { file: undefined, source: { server: "images.example.org", alias: "a" } }, "source.server", /Invalid URL/],
  ["Image", "source server over ftp", { file: undefined, source: { server: "ftp://images.example.org", alias: "a" } }, "source.server", /Invalid URL/],
  // Without a server: a copy from another project of this server, which Incus makes only by fingerprint.
  ["Image", "source without server, by alias", { file: undefined, source: { alias: "a", project: "default" } }, "source", /give `fingerprint` and `project`/],
  [
    "Image",
    "source protocol lxd",
    { file: undefined, source: { server: "https://images.example.org", alias: "a", protocol: "lxd" } },
    "source.protocol",
    oneOf("simplestreams", "incus"),
  ],
  [
    "Image",
    "source with neither alias nor fingerprint",
    { file: undefined, source: { server: "https://images.example.org" } },
    "source",
    /give exactly one of `alias` or `fingerprint`/,
  ],
  [
    "Image",
    "source fingerprint in capitals",
    { file: undefined, source: { server: "https://images.example.org", fingerprint: "0123456789ABCDEF" } },
    "source.fingerprint",
    /a hex fingerprint/,
  ],
  [
    "Image",
    "source fingerprint too short",
    { file: undefined, source: { server: "https://images.example.org", fingerprint: "abc" } },
    "source.fingerprint",
    /at least 12 characters/,
  ],
  ["Image", "source alias as a number", { file: undefined, source: { server: "https://images.example.org", alias: 12 } }, "source.alias", wrongType("string")],
  ["Image", "aliases as a string", { aliases: "latest" }, "aliases", wrongType("array")],
  ["Image", "alias with a colon", { aliases: ["images:debian"] }, "aliases[0]", /must not contain spaces or ':', or start with '\/'/],
  ["Image", "alias starting with a slash", { aliases: ["ok", "/debian"] }, "aliases[1]", /must not contain spaces or ':', or start with '\/'/],
  ["Image", "alias of 256 characters", { aliases: ["a".repeat(256)] }, "aliases[0]", /<=255 characters/],
  ["Image", "alias as a number", { aliases: [12] }, "aliases[0]", wrongType("string")],
  ["Image", "properties as a list", { properties: ["os=debian"] }, "properties", wrongType("record")],
  ["Image", "object as a property", { properties: { os: { name: "debian" } } }, "properties.os", notAConfigValue],
  ["Image", "autoUpdate as a string", { autoUpdate: "no" }, "autoUpdate", wrongType("boolean")],
  ["Image", "public as a number", { public: 0 }, "public", wrongType("boolean")],
  ["Image", "profiles as a string", { profiles: "default" }, "profiles", wrongType("array")],
  ["Image", "profile name with a slash", { profiles: ["a/b"] }, "profiles[0]", notAName],
  ["Image", "fingerprint as a number", { fingerprint: 1234 }, "fingerprint", wrongType("string")],
  ["Image", "misspelt aliases", { alias: ["a"] }, "alias", hint("aliases")],
  [
    "Image",
    "misspelt field inside source",
    { file: undefined, source: { server: "https://images.example.org", alias: "a", fingerprnt: "0123456789ab" } },
    "source.fingerprnt",
    /no such field/,
  ],

  ["Instance", "name of 64 characters", { name: "i".repeat(64) }, "name", /at most 63 characters \(a DNS label\)/],
  ["Instance", "dot in name", { name: "web.1" }, "name", notADnsLabel],
  ["Instance", "space in name", { name: "web app" }, "name", notADnsLabel],
  ["Instance", "name starting with a hyphen", { name: "-web" }, "name", notADnsLabel],
  ["Instance", "image as a number", { image: 5 }, "image", wrongType("string")],
  ["Instance", "image as a list", { image: ["busybox"] }, "image", wrongType("string")],
  ["Instance", "imageServer not a URL", { imageServer: "images.example.org" }, "imageServer", /Invalid URL/],
  ["Instance", "imageServer over ftp", { imageServer: "ftp://images.example.org" }, "imageServer", /Invalid URL/],
  ["Instance", "imageProtocol lxd", { imageServer: "https://images.example.org", imageProtocol: "lxd" }, "imageProtocol", oneOf("simplestreams", "incus")],
  ["Instance", "simplestreams protocol without server", { imageProtocol: "simplestreams" }, "imageProtocol", /only meaningful with `imageServer`/],
  ["Instance", "type in capitals", { type: "Container" }, "type", oneOf("container", "virtual-machine")],
  ["Instance", "type vm (the CLI flag, not the type)", { type: "VM" }, "type", oneOf("container", "virtual-machine")],
  ["Instance", "description as a number", { description: 1 }, "description", wrongType("string")],
  ["Instance", "profiles as a string", { profiles: "default" }, "profiles", wrongType("array")],
  ["Instance", "profile name starting with a dot", { profiles: [".x"] }, "profiles[0]", notAName],
  ["Instance", "profile as a number", { profiles: ["default", 2] }, "profiles[1]", wrongType("string")],
  ["Instance", "config as a string", { config: "limits.cpu=2" }, "config", wrongType("record")],
  ["Instance", "empty config key", { config: { "": "2" } }, 'config[""]', /config keys must not be empty/],
  ["Instance", "object as config value", { config: { "limits.memory": { gib: 1 } } }, 'config["limits.memory"]', notAConfigValue],
  ["Instance", "devices as a list", { devices: ["eth0"] }, "devices", wrongType("record")],
  ["Instance", "device as a string", { devices: { eth0: "nic" } }, "devices.eth0", wrongType("record")],
  ["Instance", "device option as a list", { devices: { eth0: { type: "nic", network: ["br0"] } } }, "devices.eth0.network", notAConfigValue],
  [
    "Instance",
    "device with an option but no type",
    { devices: { root: { path: "/", pool: "default", size: "1GiB" } } },
    "devices.root",
    /every device needs a `type`/,
  ],
  ["Instance", "ephemeral as a string", { ephemeral: "true" }, "ephemeral", wrongType("boolean")],
  ["Instance", "running as a string", { running: "yes" }, "running", wrongType("boolean")],
  ["Instance", "running as a number", { running: 1 }, "running", wrongType("boolean")],
  ["Instance", "stopTimeout not whole", { stopTimeout: 1.5 }, "stopTimeout", wrongType("int")],
  ["Instance", "stopTimeout over an hour", { stopTimeout: 3601 }, "stopTimeout", /<=3600/],
  ["Instance", "stopTimeout as a string", { stopTimeout: "30" }, "stopTimeout", wrongType("number")],
  ["Instance", "misspelt stopTimeout", { stopTimout: 10 }, "stopTimout", hint("stopTimeout")],
  ["Instance", "misspelt running", { runing: false }, "runing", hint("running")],
  ["Instance", "snake_case stopTimeout", { stop_timeout: 10 }, "stop_timeout", hint("stopTimeout")],
  ["Instance", "command field in capitals", { commands: { setup: { Command: "true" } } }, "commands.setup.Command", hint("command")],
  ["Instance", "command without a command", { commands: { setup: { when: "create" } } }, "commands.setup.command", /^required$/],
  ["Instance", "singular profile", { profile: ["default"] }, "profile", hint("profiles")],
  ["Instance", "misspelt imageServer", { imageserver: "https://images.example.org" }, "imageserver", hint("imageServer")],
  ["Instance", "a field only projects have", { deleteContents: true }, "deleteContents", /Instance has no such field/],
  ["Instance", "ephemeral and kept stopped", { ephemeral: true, running: false }, "running", /an ephemeral instance is deleted by Incus when it stops/],
  ["NetworkAcl", "ingress not a list", { ingress: { action: "allow" } }, "ingress", wrongType("array")],
  ["NetworkAcl", "unknown rule action", { ingress: [{ action: "permit" }] }, "ingress[0].action", oneOf("allow", "allow-stateless", "drop", "reject")],
  ["NetworkAcl", "rule without an action", { egress: [{ state: "enabled" }] }, "egress[0].action", oneOf("allow", "allow-stateless", "drop", "reject")],
  ["NetworkAcl", "unknown rule state", { ingress: [{ action: "allow", state: "on" }] }, "ingress[0].state", oneOf("enabled", "disabled", "logged")],
  ["NetworkAcl", "unknown rule protocol", { ingress: [{ action: "allow", protocol: "sctp" }] }, "ingress[0].protocol", oneOf("icmp4", "icmp6", "tcp", "udp")],
  ["NetworkAcl", "camelCase rule field", { ingress: [{ action: "allow", destinationPort: "22" }] }, "ingress[0].destinationPort", hint("destination_port")],
  ["NetworkAcl", "rule field in capitals", { egress: [{ action: "drop", Protocol: "tcp" }] }, "egress[0].Protocol", hint("protocol")],
  ["NetworkForward", "listen address not an IP", { listenAddress: "192.0.2.300" }, "listenAddress", /must be an IPv4 or IPv6 address/],
  ["NetworkForward", "no network", { network: undefined }, "network", /required/],
  ["NetworkForward", "ports not a list", { ports: { protocol: "tcp" } }, "ports", wrongType("array")],
  [
    "NetworkForward",
    "port protocol sctp",
    { ports: [{ protocol: "sctp", listen_port: "80", target_address: "10.0.0.2" }] },
    "ports[0].protocol",
    oneOf("tcp", "udp"),
  ],
  ["NetworkForward", "port without a target", { ports: [{ protocol: "tcp", listen_port: "80" }] }, "ports[0].target_address", /required/],
  // A field that takes a string or a number is "required" too, not zod's "Invalid input".
  ["NetworkForward", "port without a listen port", { ports: [{ protocol: "tcp", target_address: "10.0.0.2" }] }, "ports[0].listen_port", /^required$/],
  // The nested spelling is suggested, and the field it stands for is not also called missing.
  [
    "NetworkForward",
    "camelCase port field",
    { ports: [{ protocol: "tcp", listenPort: "80", target_address: "10.0.0.2" }] },
    "ports[0].listenPort",
    hint("listen_port"),
  ],
  [
    "NetworkForward",
    "misspelt port field",
    { ports: [{ protocol: "tcp", listen_port: "80", target_adress: "10.0.0.2" }] },
    "ports[0].target_adress",
    hint("target_address"),
  ],
  [
    "NetworkForward",
    "port target not an IP",
    { ports: [{ protocol: "tcp", listen_port: "80", target_address: "web" }] },
    "ports[0].target_address",
    /must be an IPv4 or IPv6 address/,
  ],
  ["NetworkPeer", "no network", { network: undefined }, "network", /required/],
  ["NetworkPeer", "unknown peer type", { type: "ovn-ic" }, "type", oneOf("local", "remote")],
  ["NetworkPeer", "target network with a slash", { targetNetwork: "a/b" }, "targetNetwork", /must not contain slashes/],
  ["NetworkPeer", "misspelt targetNetwork", { targetNetowrk: "ovn2" }, "targetNetowrk", hint("targetNetwork")],
  ["NetworkPeer", "snake_case target_integration", { target_integration: "ic" }, "target_integration", hint("targetIntegration")],
  ["NetworkLoadBalancer", "listen address not an IP", { listenAddress: "192.0.2.300" }, "listenAddress", /must be an IPv4 or IPv6 address/],
  ["NetworkLoadBalancer", "backends not a list", { backends: { name: "a" } }, "backends", wrongType("array")],
  ["NetworkLoadBalancer", "backend without an address", { backends: [{ name: "a" }] }, "backends[0].target_address", /required/],
  [
    "NetworkLoadBalancer",
    "backend target not an IP",
    { backends: [{ name: "a", target_address: "web" }] },
    "backends[0].target_address",
    /must be an IPv4 or IPv6 address/,
  ],
  [
    "NetworkLoadBalancer",
    "port naming no backend",
    { backends: [{ name: "a", target_address: "10.0.0.2" }], ports: [{ protocol: "tcp", listen_port: "80", target_backend: ["b"] }] },
    "ports[0].target_backend[0]",
    /names no backend of `backends` \("b"\)/,
  ],
  [
    "NetworkLoadBalancer",
    "port with no backend",
    { ports: [{ protocol: "tcp", listen_port: "80", target_backend: [] }] },
    "ports[0].target_backend",
    /at least one backend/,
  ],
  [
    "NetworkLoadBalancer",
    "camelCase backend field",
    { backends: [{ name: "a", targetAddress: "10.0.0.2" }] },
    "backends[0].targetAddress",
    hint("target_address"),
  ],
  ["NetworkIntegration", "type not ovn", { type: "bgp" }, "type", /expected "ovn"/],
  ["NetworkIntegration", "config as a list", { config: ["ovn.northbound_connection=x"] }, "config", wrongType("record")],
  ["NetworkIntegration", "config value as an object", { config: { "ovn.client_key": { pem: "x" } } }, 'config["ovn.client_key"]', /string/],
  ["NetworkIntegration", "description too long", { description: "x".repeat(5000) }, "description", /4096/],
  ["NetworkIntegration", "description as a number", { description: 1 }, "description", wrongType("string")],
  ["NetworkIntegration", "name with a slash", { name: "a/b" }, "name", /must not contain slashes/],
  ["NetworkIntegration", "misspelt config", { confg: {} }, "confg", hint("config")],
  ["NetworkZone", "name with an underscore", { name: "bad_zone.example" }, "name", /must be a DNS name/],
  ["NetworkZone", "name with a space", { name: "lab example" }, "name", /must be a DNS name/],
  ["NetworkZone", "config as a list", { config: ["dns.nameservers=ns1"] }, "config", wrongType("record")],
  ["NetworkZone", "label ending in a hyphen", { name: "lab-.example.internal" }, "name", /must be a DNS name/],
  ["NetworkZone", "description as a number", { description: 1 }, "description", wrongType("string")],
  ["NetworkZoneRecord", "no zone", { zone: undefined }, "zone", /required/],
  ["NetworkZoneRecord", "zone not a DNS name", { zone: "lab/zone" }, "zone", /must be a DNS name/],
  ["NetworkZoneRecord", "entry without a value", { entries: [{ type: "A" }] }, "entries[0].value", /required/],
  ["NetworkZoneRecord", "entry type in lower case", { entries: [{ type: "a", value: "10.0.0.1" }] }, "entries[0].type", /a DNS record type in capitals/],
  ["NetworkZoneRecord", "TTL in capitals", { entries: [{ type: "A", value: "10.0.0.1", TTL: 300 }] }, "entries[0].TTL", hint("ttl")],
  ["NetworkZoneRecord", "negative TTL", { entries: [{ type: "A", value: "10.0.0.1", ttl: -1 }] }, "entries[0].ttl", />=0/],
  ["Certificate", "unknown type", { type: "server" }, "type", oneOf("client", "metrics")],
  ["Certificate", "restricted as a string", { restricted: "yes" }, "restricted", wrongType("boolean")],
  ["Certificate", "projects as a string", { projects: "default" }, "projects", wrongType("array")],
  ["Certificate", "project name with a slash", { projects: ["a/b"] }, "projects[0]", notAName],
  ["Certificate", "certificate that is not PEM", { certificate: "hello" }, "certificate", /is not a PEM certificate/],
  ["Certificate", "certificate with its private key", { certificate: pem.certificate + pem.privateKey }, "certificate", /holds a private key/],
  ["Certificate", "two certificates", { certificate: pem.certificate + pem.certificate }, "certificate", /holds several certificates/],
  [
    "Certificate",
    "malformed PEM body",
    { certificate: pem.certificate.replace(/\n[A-Za-z0-9+/]{20}/, "\n!!!!") },
    "certificate",
    /is not a valid PEM certificate/,
  ],
  ["Certificate", "validDays of zero", { validDays: 0 }, "validDays", />=1/],
  ["Certificate", "a fingerprint of the program's own", { fingerprint: "ab".repeat(32) }, "fingerprint", /is worked out from `certificate`/],
  ["Certificate", "misspelt restricted", { restriced: true }, "restriced", hint("restricted")],
  ["ServerConfig", "unknown config key", { config: { "core.http_address": ":8443" } }, 'config["core.http_address"]', /not a server config key of Incus 6.0/],
  ["ServerConfig", "key without a section", { config: { bogus: "1" } }, "config.bogus", /not a server config key/],
  ["ServerConfig", "bare user. key", { config: { "user.": "1" } }, 'config["user."]', /not a server config key/],
  [
    "ServerConfig",
    "the provider's claim key",
    { config: { "user.pulumi-incus.server-config": "x" } },
    'config["user.pulumi-incus.server-config"]',
    /not a server config key/,
  ],
  ["ServerConfig", "object as config value", { config: { "core.https_address": { port: 8443 } } }, 'config["core.https_address"]', notAConfigValue],
  ["ServerConfig", "config as a string", { config: "core.https_address=:8443" }, "config", wrongType("record")],
  ["ServerConfig", "misspelt config", { confg: {} }, "confg", hint("config")],
  ["ServerConfig", "a field only projects have", { description: "x" }, "description", /ServerConfig has no such field/],

  ["InstanceSnapshot", "no instance", { instance: undefined }, "instance", /required/],
  ["InstanceSnapshot", "instance name with a dot", { instance: "web.1" }, "instance", notADnsLabel],
  ["InstanceSnapshot", "slash in name", { name: "a/b" }, "name", notAName],
  ["InstanceSnapshot", "stateful as a string", { stateful: "yes" }, "stateful", wrongType("boolean")],
  ["InstanceSnapshot", "expiry without a zone", { expiresAt: "2030-01-01T00:00:00" }, "expiresAt", /an RFC 3339 time with a zone/],
  ["InstanceSnapshot", "expiry as a duration", { expiresAt: "2d" }, "expiresAt", /an RFC 3339 time with a zone/],
  ["InstanceSnapshot", "expiry on the 31st of February", { expiresAt: "2030-02-31T00:00:00Z" }, "expiresAt", /an RFC 3339 time with a zone/],
  // Incus prunes an expired snapshot: the stack would take it again on every up.
  [
    "InstanceSnapshot",
    "expiry in the past",
    { expiresAt: "2020-01-01T00:00:00Z" },
    "expiresAt",
    /2020-01-01T00:00:00Z is in the past: Incus deletes a snapshot once it expires/,
  ],
  ["InstanceSnapshot", "a description (Incus 6.0 snapshots have none)", { description: "x" }, "description", /InstanceSnapshot has no such field/],
  ["StorageVolumeSnapshot", "no volume", { volume: undefined }, "volume", /required/],
  ["StorageVolumeSnapshot", "no pool", { pool: undefined }, "pool", /required/],
  ["StorageVolumeSnapshot", "volume name with a slash", { volume: "a/b" }, "volume", notAName],
  ["StorageVolumeSnapshot", "expiry as a number", { expiresAt: 1893456000 }, "expiresAt", wrongType("string")],
  ["StorageVolumeSnapshot", "expiry as a date only", { expiresAt: "2030-01-01" }, "expiresAt", /an RFC 3339 time with a zone/],
  [
    "StorageVolumeSnapshot",
    "expiry a second ago",
    { expiresAt: new Date(Date.now() - 1000).toISOString() },
    "expiresAt",
    /is in the past: .* taken again on every `up`/,
  ],
  ["StorageVolumeSnapshot", "description as a list", { description: ["x"] }, "description", wrongType("string")],
  ["ImageAlias", "no target", { target: undefined }, "target", /required/],
  ["ImageAlias", "target a short prefix", { target: "6a8a363522aa" }, "target", /full SHA-256 fingerprint/],
  ["ImageAlias", "target in capitals", { target: "A".repeat(64) }, "target", /full SHA-256 fingerprint/],
  ["ImageAlias", "name with a space", { name: "my alias" }, "name", /must not contain spaces or ':'/],
  ["ImageAlias", "name with a remote", { name: "images:debian" }, "name", /must not contain spaces or ':'/],
  ["ImageAlias", "a type (Incus derives it from the image)", { type: "container" }, "type", /ImageAlias has no such field/],
  [
    "StorageVolume",
    "copy and import together",
    { copyFrom: { volume: "src" }, importFile: tarball },
    "importFile",
    /give at most one of `copyFrom` and `importFile`/,
  ],
  ["StorageVolume", "import file that does not exist", { importFile: "/nonexistent/backup.tar.gz" }, "importFile", /no such file/],
  ["StorageVolume", "copy source without a volume", { copyFrom: { snapshot: "s1" } }, "copyFrom.volume", /required/],
  ["StorageVolume", "import with a content type", { importFile: tarball, contentType: "block" }, "contentType", /an import takes the backup's content type/],
  ["StorageBucket", "capitals in name", { name: "Data" }, "name", /an S3 bucket name/],
  ["StorageBucket", "underscore in name", { name: "my_data" }, "name", /an S3 bucket name/],
  ["StorageBucket", "name of 2 characters", { name: "ab" }, "name", /at least 3 characters/],
  ["StorageBucket", "name starting with a hyphen", { name: "-data" }, "name", /starting with a letter or digit/],
  ["StorageBucket", "no pool", { pool: undefined }, "pool", /required/],
  ["StorageBucket", "object as config value", { config: { size: { mib: 1 } } }, "config.size", notAConfigValue],
  ["StorageBucket", "misspelt description", { descripton: "x" }, "descripton", hint("description")],
  ["StorageBucketKey", "role owner", { role: "owner" }, "role", oneOf("read-only", "admin")],
  ["StorageBucketKey", "role readonly", { role: "readonly" }, "role", oneOf("read-only", "admin")],
  ["StorageBucketKey", "no bucket", { bucket: undefined }, "bucket", /required/],
  ["StorageBucketKey", "bucket name in capitals", { bucket: "Data" }, "bucket", /an S3 bucket name/],
  ["StorageBucketKey", "secret key as a number", { secretKey: 12345678 }, "secretKey", wrongType("string")],
  ["StorageBucketKey", "snake_case access key", { access_key: "x" }, "access_key", hint("accessKey")],
  ["StorageBucketKey", "misspelt secretKey", { secretkey: "x" }, "secretkey", hint("secretKey")],

  ["StoragePool", "global key in memberConfig", { memberConfig: { n1: { "rsync.bwlimit": 1 } } }, 'memberConfig.n1["rsync.bwlimit"]', /not a per-member key/],
  ["StoragePool", "memberConfig entry as a string", { memberConfig: { node1: "/srv/pool" } }, "memberConfig.node1", wrongType("record")],
  ["StoragePool", "empty member name in memberConfig", { memberConfig: { "": { source: "/srv" } } }, 'memberConfig[""]', /member names must not be empty/],
  ["Network", "global key in memberConfig", { memberConfig: { n1: { "ipv4.address": "none" } } }, 'memberConfig.n1["ipv4.address"]', /not a per-member key/],
  ["Network", "memberConfig as a list", { memberConfig: [{ parent: "eth0" }] }, "memberConfig", wrongType("record")],
  ["ClusterGroup", "name with a slash", { name: "web/eu" }, "name", notAName],
  ["ClusterGroup", "name starting with a dot", { name: ".web" }, "name", notAName],
  ["ClusterGroup", "description as a number", { description: 1 }, "description", wrongType("string")],
  ["ClusterGroup", "members as a string", { members: "node1" }, "members", wrongType("array")],
  ["ClusterGroup", "member as a number", { members: [1] }, "members[0]", wrongType("string")],
  ["ClusterGroup", "empty member name", { members: [""] }, "members[0]", /member names must not be empty/],
  ["ClusterGroup", "singular member", { member: "node1" }, "member", hint("members")],
  ["ClusterMember", "name with a space", { name: "node 1" }, "name", notAName],
  ["ClusterMember", "failure domain as a number", { failureDomain: 3 }, "failureDomain", wrongType("string")],
  ["ClusterMember", "failure domain as a list", { failureDomain: ["rack1"] }, "failureDomain", wrongType("string")],
  ["ClusterMember", "snake_case failure domain", { failure_domain: "rack1" }, "failure_domain", hint("failureDomain")],
  ["ClusterMember", "groups as a string", { groups: "web" }, "groups", wrongType("array")],
  ["ClusterMember", "empty group name", { groups: ["default", ""] }, "groups[1]", /group names must not be empty/],
  ["ClusterMember", "evacuated as a string", { evacuated: "true" }, "evacuated", wrongType("boolean")],
  ["ClusterMember", "roles declared", { roles: ["database"] }, "roles", /ClusterMember has no such field/],
  ["ClusterMember", "object as config value", { config: { "scheduler.instance": { v: "all" } } }, 'config["scheduler.instance"]', notAConfigValue],
];

const corpus: BadCase[] = [...shared, ...scoped, ...own];

it("has at least 120 cases, and at least 15 for every kind", () => {
  expect(corpus.length).toBeGreaterThanOrEqual(120);
  for (const kind of KINDS) expect(corpus.filter(([k]) => k === kind).length).toBeGreaterThanOrEqual(15);
});

it("has no two cases with the same kind and description", () => {
  const keys = corpus.map(([kind, what]) => `${kind}: ${what}`);
  expect(keys.length).toBe(new Set(keys).size);
});

describe.each(KINDS)("%s refuses bad input", (kind) => {
  beforeEach(() => void takeRequests());
  it.each(corpus.filter(([k]) => k === kind).map(([, what, overrides, field, says]) => ({ what, overrides, field, says })))(
    "$what → $field",
    async ({ overrides, field, says }) => {
      const res = await engine(kind).check({}, withOverrides(valid[kind], overrides));
      expect(res.inputs).toBeUndefined();
      // One bad field, one failure, and it is about that field.
      expect(res.failures?.map((f) => f.property)).toEqual([field]);
      const { reason } = res.failures![0];
      // The reason starts with the field (the engine prints only the reason in some places) and says what to fix.
      expect(reason.startsWith(`${field}: `)).toBe(true);
      expect(reason.slice(field.length + 2)).toMatch(says);
      expect(takeRequests()).toEqual([]);
    },
  );
});

// ---- good input: accepted, and normalised to what will be sent (the socket does not exist, so the reads a new
// object's check makes fail, and check leaves that for `up` to report) ------------------------------------------------

/** [kind, what it shows, inputs, what check must return]. */
type GoodCase = [KindName, string, State, State];

const good: GoodCase[] = [
  ["Project", "name of 63 characters", { name: "p".repeat(63) }, { name: "p".repeat(63) }],
  [
    "Project",
    "numbers and booleans in config become strings",
    { name: "lab", config: { "limits.instances": 5, "features.images": false } },
    { name: "lab", config: { "limits.instances": "5", "features.images": "false" } },
  ],
  ["Project", "deleteContents and adopt", { name: "lab", deleteContents: true, adopt: true }, { name: "lab", deleteContents: true, adopt: true }],
  ["Project", "description of 4096 characters", { name: "lab", description: "d".repeat(4096) }, { name: "lab", description: "d".repeat(4096) }],
  ["Profile", "name with dots, capitals and underscores", { name: "Web_v2.1" }, { name: "Web_v2.1", project: "default" }],
  [
    "Profile",
    "device options as numbers and booleans",
    { name: "web", devices: { root: { type: "disk", path: "/", pool: "default", size: 1073741824, readonly: false } } },
    { name: "web", project: "default", devices: { root: { type: "disk", path: "/", pool: "default", size: "1073741824", readonly: "false" } } },
  ],
  ["Profile", "empty config and devices", { name: "web", config: {}, devices: {} }, { name: "web", project: "default", config: {}, devices: {} }],
  ["Profile", "an explicit project", { name: "web", project: "lab" }, { name: "web", project: "lab" }],
  ["Network", "name of exactly 15 characters", { name: "abcdefghijklmn5" }, { name: "abcdefghijklmn5", project: "default" }],
  [
    "Network",
    "macvlan with a numeric mtu",
    { name: "mv0", type: "macvlan", config: { parent: "eth0", mtu: 1500 } },
    { name: "mv0", type: "macvlan", project: "default", config: { parent: "eth0", mtu: "1500" } },
  ],
  [
    "Network",
    "boolean config values",
    { name: "br1", config: { "ipv4.address": "none", "ipv6.address": "none", "ipv4.nat": false } },
    { name: "br1", project: "default", config: { "ipv4.address": "none", "ipv6.address": "none", "ipv4.nat": "false" } },
  ],
  ["StoragePool", "zfs with a numeric size", { name: "tank", driver: "zfs", config: { size: 10 } }, { name: "tank", driver: "zfs", config: { size: "10" } }],
  ["StoragePool", "every driver name is accepted: lvmcluster", { name: "shared", driver: "lvmcluster" }, { name: "shared", driver: "lvmcluster" }],
  [
    "StorageVolume",
    "block volume with a numeric size",
    { name: "disk1", pool: "default", contentType: "block", config: { size: 1073741824 } },
    { name: "disk1", pool: "default", contentType: "block", project: "default", config: { size: "1073741824" } },
  ],
  [
    "StorageVolume",
    "iso volume in another project",
    { name: "boot", pool: "default", contentType: "iso", project: "lab" },
    { name: "boot", pool: "default", contentType: "iso", project: "lab" },
  ],
  [
    "StorageBucket",
    "dotted name, numbers in config become strings",
    { name: "logs.2026", pool: "default", config: { "user.tier": 1 } },
    { name: "logs.2026", pool: "default", project: "default", config: { "user.tier": "1" } },
  ],
  [
    "StorageBucketKey",
    "given keys and role",
    { name: "w", pool: "default", bucket: "logs", role: "admin", accessKey: "AK", secretKey: "SK" },
    { name: "w", pool: "default", bucket: "logs", role: "admin", accessKey: "AK", secretKey: "SK", project: "default" },
  ],
  [
    "Image",
    "split image",
    { name: "img", metadataFile: metadata, rootfsFile: rootfs },
    { name: "img", metadataFile: metadata, rootfsFile: rootfs, project: "default", fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) },
  ],
  [
    "Image",
    "source by fingerprint gets the default protocol",
    { name: "img", source: { server: "https://images.example.org", fingerprint: "0123456789ab" } },
    { name: "img", project: "default", source: { server: "https://images.example.org", fingerprint: "0123456789ab", protocol: "simplestreams" } },
  ],
  [
    "Image",
    "source by alias over incus",
    { name: "img", source: { server: "https://127.0.0.1:8443", alias: "debian/12", protocol: "incus", project: "images" } },
    { name: "img", project: "default", source: { server: "https://127.0.0.1:8443", alias: "debian/12", protocol: "incus", project: "images" } },
  ],
  [
    "Image",
    "properties, profiles and flags",
    { name: "img", file: tarball, properties: { release: 12, lts: true }, profiles: [], public: true, autoUpdate: false, aliases: ["debian/12", "latest"] },
    {
      name: "img",
      file: tarball,
      project: "default",
      properties: { release: "12", lts: "true" },
      profiles: [],
      public: true,
      autoUpdate: false,
      aliases: ["debian/12", "latest"],
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    },
  ],
  [
    "Instance",
    "name of 63 characters with digits and hyphens",
    { name: `w${"-1".repeat(31)}`, image: "busybox" },
    { name: `w${"-1".repeat(31)}`, image: "busybox", project: "default" },
  ],
  [
    "Instance",
    "image server with a protocol",
    { name: "c1", image: "debian/12", imageServer: "https://images.example.org", imageProtocol: "simplestreams" },
    { name: "c1", image: "debian/12", imageServer: "https://images.example.org", imageProtocol: "simplestreams", project: "default" },
  ],
  ["Instance", "stopTimeout of zero", { name: "c1", image: "busybox", stopTimeout: 0 }, { name: "c1", image: "busybox", stopTimeout: 0, project: "default" }],
  [
    "Instance",
    "stopTimeout of an hour",
    { name: "c1", image: "busybox", stopTimeout: 3600 },
    { name: "c1", image: "busybox", stopTimeout: 3600, project: "default" },
  ],
  [
    "Instance",
    "a stopped virtual machine",
    { name: "vm1", image: "busybox", type: "virtual-machine", running: false },
    { name: "vm1", image: "busybox", type: "virtual-machine", running: false, project: "default" },
  ],
  [
    "Instance",
    "an ephemeral instance left running",
    { name: "c1", image: "busybox", ephemeral: true },
    { name: "c1", image: "busybox", ephemeral: true, project: "default" },
  ],
  [
    "Instance",
    "config and devices with numbers and booleans",
    {
      name: "c1",
      image: "busybox",
      profiles: ["default"],
      config: { "limits.cpu": 2, "boot.autostart": true },
      devices: { eth0: { type: "nic", network: "br0", mtu: 1400 } },
    },
    {
      name: "c1",
      image: "busybox",
      project: "default",
      profiles: ["default"],
      config: { "limits.cpu": "2", "boot.autostart": "true" },
      devices: { eth0: { type: "nic", network: "br0", mtu: "1400" } },
    },
  ],
  ["Instance", "no profiles at all", { name: "c1", image: "busybox", profiles: [] }, { name: "c1", image: "busybox", profiles: [], project: "default" }],
  [
    "InstanceSnapshot",
    "expiry in another zone is kept as UTC; stateful defaults to false",
    { name: "s1", instance: "c1", expiresAt: "2030-01-01T02:00:00+02:00" },
    { name: "s1", instance: "c1", stateful: false, expiresAt: "2030-01-01T00:00:00Z", project: "default" },
  ],
  [
    "StorageVolumeSnapshot",
    "expiry with a fraction and a description",
    { name: "s1", pool: "default", volume: "vol", description: "d", expiresAt: "2030-06-01T12:00:00.5Z" },
    { name: "s1", pool: "default", volume: "vol", description: "d", expiresAt: "2030-06-01T12:00:00.500Z", project: "default" },
  ],
  [
    "ImageAlias",
    "alias with a slash and a description",
    { name: "debian/12", target: "a".repeat(64), description: "d" },
    { name: "debian/12", target: "a".repeat(64), description: "d", project: "default" },
  ],
  [
    "StorageVolume",
    "a copy of a snapshot in another pool and project",
    { name: "v2", pool: "default", copyFrom: { volume: "v1", snapshot: "s1", pool: "other", project: "lab" } },
    { name: "v2", pool: "default", project: "default", copyFrom: { volume: "v1", snapshot: "s1", pool: "other", project: "lab" } },
  ],
  [
    "Instance",
    "an explicit socket (no request made to resolve it)",
    { name: "c1", image: "busybox", socket: "/nowhere/unix.socket" },
    { name: "c1", image: "busybox", socket: "/nowhere/unix.socket", project: "default" },
  ],
  [
    "Instance",
    "the built-in local remote and a config dir",
    { name: "c1", image: "busybox", remote: "local", configDir: emptyConfigDir },
    { name: "c1", image: "busybox", remote: "local", configDir: emptyConfigDir, project: "default" },
  ],
  // "" and null mean "not set": dropped like a missing field, at the top level, in config and in devices.
  [
    "Profile",
    '"" and null at every level are not set',
    {
      name: "web",
      description: "",
      project: null,
      config: { "user.a": null, "user.b": "", "limits.cpu": 2 },
      devices: { eth0: null, root: { type: "disk", path: "/", pool: "default", size: null, readonly: "" } },
    },
    { name: "web", project: "default", config: { "limits.cpu": "2" }, devices: { root: { type: "disk", path: "/", pool: "default" } } },
  ],
  [
    "Instance",
    'optional fields set to null or ""',
    { name: "c1", image: "busybox", description: null, stopTimeout: null, running: null, imageServer: "", project: "" },
    { name: "c1", image: "busybox", project: "default" },
  ],
  [
    "Network",
    'a config value set to ""',
    { name: "br2", type: null, config: { "ipv4.address": "none", "ipv6.address": "none", "bridge.mtu": "" } },
    { name: "br2", project: "default", config: { "ipv4.address": "none", "ipv6.address": "none" } },
  ],
  [
    "NetworkAcl",
    "rules in Incus's form: no spaces after commas, no empty fields, state enabled",
    { name: "web", ingress: [{ action: "allow", source: "10.0.0.0/8 , 192.168.0.0/16", destination_port: "80, 443", icmp_type: "" }] },
    { name: "web", project: "default", ingress: [{ action: "allow", state: "enabled", source: "10.0.0.0/8,192.168.0.0/16", destination_port: "80,443" }] },
  ],
  [
    "NetworkForward",
    "an IPv6 listen address in canonical form, numeric ports",
    {
      name: "v6",
      network: "br0",
      listenAddress: "2001:DB8:0:0::10",
      ports: [{ protocol: "udp", listen_port: 53, target_address: "10.0.0.2", target_port: "" }],
    },
    {
      name: "v6",
      network: "br0",
      listenAddress: "2001:db8::10",
      project: "default",
      ports: [{ protocol: "udp", listen_port: "53", target_address: "10.0.0.2" }],
    },
  ],
  ["ClusterGroup", "members compared as a set", { name: "web", members: ["n2", "n1", "n2"] }, { name: "web", members: ["n1", "n2"] }],
  [
    "ClusterMember",
    "groups as a set, a numeric config value",
    { name: "node1", groups: ["web", "default"], config: { "user.rack": 3 }, evacuated: false },
    { name: "node1", groups: ["default", "web"], config: { "user.rack": "3" }, evacuated: false },
  ],
  [
    "NetworkZone",
    "peer config with a numeric value",
    { name: "lab.example.internal", config: { "peers.ns2.address": "192.0.2.53", "user.serial": 7 } },
    { name: "lab.example.internal", project: "default", config: { "peers.ns2.address": "192.0.2.53", "user.serial": "7" } },
  ],
  [
    "NetworkZoneRecord",
    "an entry with a zero TTL (Incus's unset)",
    { name: "www", zone: "lab.example.internal", entries: [{ type: "A", value: "10.0.0.1", ttl: 0 }] },
    { name: "www", zone: "lab.example.internal", project: "default", entries: [{ type: "A", value: "10.0.0.1" }] },
  ],
  [
    "NetworkPeer",
    "a local peer with a description",
    { name: "to-ovn2", network: "ovn1", targetNetwork: "ovn2", description: "peering" },
    { name: "to-ovn2", network: "ovn1", targetNetwork: "ovn2", description: "peering", project: "default" },
  ],
  [
    "NetworkLoadBalancer",
    "numeric ports, spaces after commas and empty fields dropped",
    {
      name: "web",
      network: "ovn1",
      listenAddress: "192.0.2.130",
      backends: [{ name: "a", target_address: "10.213.1.10", target_port: 8080, description: "" }],
      ports: [{ protocol: "tcp", listen_port: "80, 443", target_backend: ["a"] }],
    },
    {
      name: "web",
      network: "ovn1",
      listenAddress: "192.0.2.130",
      project: "default",
      backends: [{ name: "a", target_address: "10.213.1.10", target_port: "8080" }],
      ports: [{ protocol: "tcp", listen_port: "80,443", target_backend: ["a"] }],
    },
  ],
  [
    "NetworkIntegration",
    "ovn type and connection config",
    { name: "ic", type: "ovn", config: { "ovn.northbound_connection": "unix:/run/ovn/nb.sock", "user.n": 1 } },
    { name: "ic", type: "ovn", config: { "ovn.northbound_connection": "unix:/run/ovn/nb.sock", "user.n": "1" } },
  ],
  [
    "Profile",
    "a unix: address as remote",
    { name: "web", remote: "unix:///nowhere/unix.socket" },
    { name: "web", remote: "unix:///nowhere/unix.socket", project: "default" },
  ],
  [
    "Certificate",
    "a PEM certificate: its fingerprint is worked out at check",
    { name: "ci", certificate: pem.certificate, restricted: true, projects: ["lab"] },
    { name: "ci", certificate: pem.certificate, restricted: true, projects: ["lab"], fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) },
  ],
  [
    "ServerConfig",
    'user.* keys and numbers as strings; "" and null are not set',
    { name: "server", config: { "user.team": "ops", "images.auto_update_interval": 0, "core.https_address": "", "loki.api.url": null } },
    { name: "server", config: { "user.team": "ops", "images.auto_update_interval": "0" } },
  ],
];

it("has at least 20 good cases", () => expect(good.length).toBeGreaterThanOrEqual(20));

describe.each(KINDS)("%s accepts good input", (kind) => {
  beforeEach(() => void takeRequests());
  it.each(good.filter(([k]) => k === kind).map(([, what, inputs, expected]) => ({ what, inputs, expected })))("$what", async ({ inputs, expected }) => {
    const res = await engine(kind).check({}, inputs);
    expect(res.failures).toBeUndefined();
    expect(res.inputs).toEqual(expected);
    // A new object's check may read (is the project's feature on? what would adopting change?), never write.
    expect(takeRequests().filter((r) => !r.startsWith("GET "))).toEqual([]);
  });
});
