// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated YAML programs hold `${...}` interpolations
// The generator's writing half (no daemon): references between the objects read, secrets into the stack config,
// and the command line's checks.
import { parseArgs } from "../../provider/generate/cli";
import { emit, secretLooking } from "../../provider/generate/emit";
import type { Found } from "../../provider/generate/read";

const found: Found[] = [
  { kind: "NetworkAcl", props: { name: "web-in", ingress: [{ action: "allow", protocol: "tcp", destination_port: "80" }] } },
  { kind: "NetworkAcl", props: { name: "ssh", ingress: [{ action: "allow" }] } },
  { kind: "Network", props: { name: "br-a", type: "bridge", config: { "ipv4.address": "none", "security.acls": "web-in,ssh" } } },
  { kind: "StorageVolume", props: { name: "data", pool: "default", contentType: "filesystem" } },
  {
    kind: "Profile",
    props: {
      name: "web",
      config: { "user.api.token": "s3cret-value", "limits.cpu": "1" },
      devices: { eth0: { type: "nic", network: "br-a" }, data: { type: "disk", pool: "default", source: "data", path: "/d" } },
    },
  },
];
const options = { name: "p", stack: "dev", conn: { project: "lab" }, versions: { pulumiIncus: "^0.1.0", pulumi: "^3", typescript: "~5.9" } };

describe("pulumi-incus generate", () => {
  it("TypeScript: references as the resources' names, secrets from the stack config, every object adopted", () => {
    const p = emit(found, { ...options, language: "ts" });
    const ts = p.files["index.ts"];
    expect(ts).toContain("network: network_br_a.name,");
    expect(ts).toContain("source: volume_default_data.name,");
    expect(ts).toContain('"security.acls": pulumi.interpolate`${acl_web_in.name},${acl_ssh.name}`,');
    expect(ts).toContain('"user.api.token": config.requireSecret("profile_web_config_user_api_token"),');
    expect(ts).not.toContain("s3cret-value");
    expect(ts.match(/adopt: true/g)).toHaveLength(5);
    expect(p.secrets).toEqual({ profile_web_config_user_api_token: "s3cret-value" });
    expect(p.files["Pulumi.dev.yaml"]).toBe("config:\n  incus:project: lab\n");
    expect(p.counts).toEqual({ NetworkAcl: 2, Network: 1, StorageVolume: 1, Profile: 1 });
  });

  it("YAML: the same as interpolations, secrets as declared config", () => {
    const p = emit(found, { ...options, language: "yaml", plugin: "../plugin" });
    const y = p.files["Pulumi.yaml"];
    expect(y).toContain("network: ${network_br_a.name}");
    expect(y).toContain("source: ${volume_default_data.name}");
    expect(y).toContain("security.acls: ${acl_web_in.name},${acl_ssh.name}");
    expect(y).toMatch(/user\.api\.token:\n\s+fn::secret: \$\{profile_web_config_user_api_token\}/);
    expect(y).toMatch(/config:\n\s+profile_web_config_user_api_token:\n\s+type: string/);
    expect(y).toContain("incus: ../plugin");
    expect(y).not.toContain("s3cret-value");
  });

  const FP = "3a9097ab29bb47bc3e6b666f540b3cbaf4f0d1e9568c19806155e1acc794f16b";
  const more: Found[] = [
    { kind: "StoragePool", props: { name: "default", driver: "dir" }, id: "/1.0/storage-pools/default" },
    ...found.map((f) => ({ ...f, id: `/1.0/x/${f.props.name}?project=lab` })),
    { kind: "Image", props: { fingerprint: FP, aliases: ["busybox", "bb/extra"], properties: { os: "busybox" } }, id: `/1.0/images/${FP}?project=lab` },
    { kind: "ImageAlias", props: { name: "busybox", target: FP }, id: "/1.0/images/aliases/busybox?project=lab" },
    { kind: "ImageAlias", props: { name: "bb/extra", target: FP, description: "extra" }, id: "/1.0/images/aliases/bb%2Fextra?project=lab" },
    {
      kind: "Instance",
      props: { name: "c1", image: FP, profiles: ["default", "web"], devices: { eth0: { type: "nic", network: "br-a" } }, running: false },
      id: "/1.0/instances/c1?project=lab",
    },
    { kind: "InstanceSnapshot", props: { name: "snap0", instance: "c1" }, id: "/1.0/instances/c1/snapshots/snap0?project=lab" },
  ];

  it("images, aliases, instances and snapshots: references to the image's fingerprint, the profiles, the instance, the pool", () => {
    const ts = emit(more, { ...options, language: "ts" }).files["index.ts"];
    expect(ts).toContain('export const image_busybox = new incus.Image("busybox", {\n  fingerprint: "3a9097ab');
    expect(ts).not.toMatch(/aliases:/); // each alias is an ImageAlias resource
    expect(ts).toContain('export const alias_bb_extra = new incus.ImageAlias("bb/extra", {\n  name: "bb/extra",\n  target: image_busybox.fingerprint,');
    expect(ts).toContain("  image: image_busybox.fingerprint,");
    expect(ts).toContain('  profiles: ["default", profile_web.name],'); // the default profile was not read: its name stays
    expect(ts).toContain("  running: false,");
    expect(ts).toContain('export const snapshot_c1_snap0 = new incus.InstanceSnapshot("c1-snap0", {\n  name: "snap0",\n  instance: instance_c1.name,');
    expect(ts).toContain("  pool: pool_default.name,");
    const y = emit(more, { ...options, language: "yaml" }).files["Pulumi.yaml"];
    expect(y).toContain("target: ${image_busybox.fingerprint}");
    expect(y).toContain("image: ${image_busybox.fingerprint}");
    expect(y).toContain("instance: ${instance_c1.name}");
  });

  it("an import file for a YAML program: every object by the plugin's type, its YAML name and its API path; no adopt", () => {
    const p = emit(more, { ...options, language: "yaml", importFile: true });
    const file = JSON.parse(p.files["import.json"]);
    expect(file.resources).toContainEqual({ type: "incus:index:Image", name: "image_busybox", id: `/1.0/images/${FP}?project=lab` });
    expect(file.resources).toContainEqual({
      type: "incus:index:InstanceSnapshot",
      name: "snapshot_c1_snap0",
      id: "/1.0/instances/c1/snapshots/snap0?project=lab",
    });
    // Imported, the image keeps its aliases (what the import reads), so no ImageAlias resource manages them besides.
    expect(file.resources.filter((r: { type: string }) => r.type === "incus:index:ImageAlias")).toEqual([]);
    expect(p.files["Pulumi.yaml"]).toContain("aliases:\n        - busybox\n        - bb/extra");
    expect(p.files["Pulumi.yaml"]).not.toContain("adopt");
    expect(p.files["Pulumi.yaml"]).toContain("pulumi import --file import.json");
  });

  it("secrets: credential keys Incus has, and user keys named like them; not lists of keys, public keys or words that hold one", () => {
    const secret = [
      "bgp.peers.edge.password", // network
      "peers.ns1.key", // network zone (TSIG)
      "network.ovn.client_key", // server
      "ovn.client_key", // network integration
      "loki.auth.password",
      "openfga.api.token",
      "oidc.client.secret",
      "pure.api.token", // storage pool
      "powerflex.user.password",
      "user.api.token",
      "user.db-password",
      "user.secret-key",
      "user.API_KEY",
    ];
    const plain = [
      "cloud-init.ssh-keys.alice", // public keys by user name
      "user.ssh_authorized_keys",
      "user.ssh_public_key",
      "user.key_name",
      "cluster.join_token_expiry",
      "core.remote_token_expiry",
      "core.https_allowed_credentials",
      "network.ovn.client_cert",
      "ovn.ca_cert",
      "limits.kernel.nofile",
      "security.secureboot",
      "user.monkey",
      "user.keyboard",
      "ceph.user.name",
    ];
    expect(secret.filter((k) => !secretLooking(k))).toEqual([]);
    expect(plain.filter((k) => secretLooking(k))).toEqual([]);
  });

  it("refuses bad arguments naming the flag", () => {
    expect(() => parseArgs(["generate", "--project", "p", "--language", "ts", "--import-file"])).toThrow(/--import-file: only with --language yaml/);
    expect(() => parseArgs(["generate", "--language", "ts"])).toThrow(/--project: required/);
    expect(() => parseArgs(["generate", "--project", "p", "--language", "go"])).toThrow(/--language: must be ts or yaml/);
    expect(() => parseArgs(["generate", "--project", "p", "--language", "ts", "--kinds", "Profile,Bogus"])).toThrow(/--kinds: Bogus not covered/);
    expect(parseArgs(["generate", "--project=p", "--language=yaml", "--kinds", "Profile"])).toMatchObject({
      project: "p",
      language: "yaml",
      kinds: ["Profile"],
    });
  });
});
