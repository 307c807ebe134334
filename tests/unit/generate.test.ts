// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated YAML programs hold `${...}` interpolations
// The generator's writing half (no daemon): references between the objects read, secrets into the stack config,
// and the command line's checks.
import { parseArgs } from "../../provider/generate/cli";
import { emit } from "../../provider/generate/emit";
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

  it("refuses bad arguments naming the flag", () => {
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
