// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated YAML programs hold `${...}` interpolations
// `pulumi-incus generate` as users run it (the bin of the installed tarball) on a server populated by hand with the
// incus CLI: a private daemon (tests/faults/daemon.ts), so that its default project, the only one that may hold
// bridges and ACLs, is the test's own. Its pool, an ACL, an address-less bridge using it, two volumes, profiles
// with devices, the busybox image with a second alias, a running instance from it and a snapshot. The generated
// YAML and TypeScript programs each take everything over with no write, preview clean with --expect-no-changes,
// and an edit in the generated program is applied in place; the import file the generator writes for a YAML program
// is imported with `pulumi import --file` through the plugin and previews clean.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FaultDaemon, RUN, TEST_IMAGE_ALIAS } from "../faults/daemon";
import { cliSession, filesUnder, installPackage, occurrences, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const NET = `gn${RUN}`;
const INST = `gi${RUN}`;
const SECRET = `tok-${uniqueSuffix()}`;
/** The image's variable: named after its first alias. */
const IMG = `image_${[TEST_IMAGE_ALIAS, "web/busybox"].sort()[0].replace(/[^A-Za-z0-9_]/g, "_")}`;
const plugin = path.join(REPO, "provider", "plugin", "incus");
/** Where the TypeScript program lives; the package installed there also provides the `pulumi-incus` bin. */
const tsDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-generate-ts-"));
const yamlDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-generate-yaml-"));
const importDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-generate-import-"));
let daemon: FaultDaemon;
let fingerprint = "";

/** What the generator reads: every kind it covers (the stack adds one resource more, TypeScript's two). */
const COUNTS = "1 StoragePool, 1 NetworkAcl, 1 Network, 2 StorageVolume, 2 Profile, 1 Image, 2 ImageAlias, 1 Instance, 1 InstanceSnapshot";
const OBJECTS = 12;

function generate(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const bin = path.join(tsDir, "node_modules", ".bin", "pulumi-incus");
  const where = ["--project", "default", "--socket", daemon.socket];
  const res = spawnSync(bin, ["generate", ...where, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  if (res.status !== 0) throw new Error(`generate failed (${res.status}): ${res.stderr}`);
  return { stdout: res.stdout, stderr: res.stderr };
}

/** Requests that change something. */
const writesOnly = (lines: string[]) => lines.filter((w) => !/^(GET|HEAD) /.test(w));

beforeAll(async () => {
  useYamlHost();
  installPackage(tsDir, "generated", ["typescript"]);
  // A pool, the default profile's root disk and the busybox image (alias TEST_IMAGE_ALIAS) come with the daemon.
  daemon = new FaultDaemon("e2e-generate");
  await daemon.create();
  const incus = (...args: string[]) => daemon.incus(...args);
  incus("network", "acl", "create", "web-in");
  incus("network", "acl", "rule", "add", "web-in", "ingress", "action=allow", "protocol=tcp", "destination_port=80");
  incus("network", "create", NET, "ipv4.address=none", "ipv6.address=none", "security.acls=web-in");
  incus("storage", "volume", "create", "default", "data");
  incus("storage", "volume", "create", "default", "logs", "user.note=kept");
  incus("profile", "create", "web");
  incus("profile", "set", "web", "limits.cpu=1", `user.api.token=${SECRET}`);
  incus("profile", "device", "add", "web", "eth0", "nic", `network=${NET}`, "name=eth0");
  incus("profile", "device", "add", "web", "data", "disk", "pool=default", "source=data", "path=/data");
  fingerprint = daemon.query(`/1.0/images/aliases/${TEST_IMAGE_ALIAS}`).target;
  incus("image", "alias", "create", "web/busybox", fingerprint);
  incus("launch", TEST_IMAGE_ALIAS, INST, "--profile", "default", "--profile", "web");
  incus("snapshot", "create", INST, "snap0");
}, 900_000);

afterAll(async () => {
  await daemon?.destroy();
  for (const dir of [tsDir, yamlDir, importDir]) fs.rmSync(dir, { recursive: true, force: true });
}, 300_000);

/** Up with no write, a clean preview, the secret kept out of state, then an edit in the program applied in place. */
async function takeOverAndEdit(t: TestStack, file: string, from: string, to: string, resources: number): Promise<string[]> {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ create: resources });
  expect(writesOnly(t.takeRequests())).toEqual([]);
  await t.stack.preview({ expectNoChanges: true });
  expect(writesOnly(t.takeRequests())).toEqual([]);
  expect(occurrences(filesUnder(t.env.PULUMI_BACKEND_URL.replace("file://", "")), SECRET)).toBe(0);

  const program = path.join(t.workDir, file);
  const text = fs.readFileSync(program, "utf8");
  expect(text).toContain(from);
  fs.writeFileSync(program, text.replace(from, to));
  const edit = await t.stack.up();
  expect(edit.summary.resourceChanges).toEqual({ update: 1, same: resources - 1 });
  return writesOnly(t.takeRequests());
}

describe("pulumi-incus generate", () => {
  it("YAML: the generated program adopts the server's objects with no write; an edit applies in place", async () => {
    const stack = `y${uniqueSuffix()}`;
    const first = generate(["--language", "yaml", "--out", yamlDir, "--plugin", plugin, "--stack", stack]);
    for (const line of ['reading 1 NetworkAcl object(s) in project "default"', "reading 2 ImageAlias object(s)", "reading 1 InstanceSnapshot object(s)"])
      expect(first.stderr).toContain(line);
    expect(first.stdout).toContain(`wrote Pulumi.${stack}.yaml, Pulumi.yaml in ${yamlDir}: ${COUNTS} (adopt: true)`);
    expect(first.stdout).toContain("pulumi config set --secret profile_web_config_user_api_token");
    const y = fs.readFileSync(path.join(yamlDir, "Pulumi.yaml"), "utf8");
    // References: network → ACL, profile → network, volume and pool, alias → image, instance → image and profiles,
    // snapshot → instance.
    for (const ref of [
      "security.acls: ${acl_web_in.name}",
      "network: ${network_" + NET + ".name}",
      "source: ${volume_default_data.name}",
      "pool: ${pool_default.name}",
      `target: ${"${"}${IMG}.fingerprint}`,
      `image: ${"${"}${IMG}.fingerprint}`,
      "- ${profile_default.name}\n        - ${profile_web.name}",
      "instance: ${instance_" + INST + ".name}",
    ])
      expect(y).toContain(ref);
    expect(y).toContain(`fingerprint: ${fingerprint}`);
    expect(y).not.toContain(SECRET);

    const t = await programStack(yamlDir, {}, stack);
    try {
      // Again into the same directory, this time setting the secret in the stack (its config file keeps the salt).
      const second = generate(["--language", "yaml", "--out", yamlDir, "--plugin", plugin, "--stack", stack, "--init-stack"], t.env);
      expect(second.stdout).toContain(`set 1 secret(s) in stack ${stack}: profile_web_config_user_api_token`);
      expect(fs.readFileSync(path.join(yamlDir, `Pulumi.${stack}.yaml`), "utf8")).not.toContain(SECRET);
      const writes = await takeOverAndEdit(t, "Pulumi.yaml", 'limits.cpu: "1"', 'limits.cpu: "2"', OBJECTS + 1);
      expect(writes).toEqual(["PUT /1.0/profiles/web"]);
      expect(daemon.query("/1.0/profiles/web").config).toEqual({ "limits.cpu": "2", "user.api.token": SECRET });
    } finally {
      // The TypeScript test takes the same objects over next: forget them, do not delete them.
      await t.cleanup(true);
    }
  });

  it("TypeScript: the generated program, run with the installed package, adopts them with no write; an edit applies in place", async () => {
    const stack = `t${uniqueSuffix()}`;
    // The stack is made before the program is generated, under the name the generator gives the program.
    fs.writeFileSync(path.join(tsDir, "Pulumi.yaml"), "name: incus-default\nruntime: nodejs\n");
    const t = await programStack(tsDir, {}, stack);
    try {
      const out = generate(["--language", "ts", "--out", tsDir, "--stack", stack, "--init-stack"], t.env);
      expect(out.stdout).toContain(`${COUNTS} (adopt: true)`);
      const ts = fs.readFileSync(path.join(tsDir, "index.ts"), "utf8");
      expect(ts).toContain("source: volume_default_data.name,");
      expect(ts).toContain(`target: ${IMG}.fingerprint,`);
      expect(ts).toContain("profiles: [profile_default.name, profile_web.name],");
      expect(ts).toContain('"user.api.token": config.requireSecret("profile_web_config_user_api_token"),');
      expect(ts).not.toContain(SECRET);
      // The instance gets a config key of its own: an update in place (the running instance is not replaced).
      const from = `image: ${IMG}.fingerprint,`;
      const writes = await takeOverAndEdit(t, "index.ts", from, `${from}\n  config: { "user.note": "edited" },`, OBJECTS + 2);
      expect(writes).toEqual([`PUT /1.0/instances/${INST}`]);
      expect(daemon.query(`/1.0/instances/${INST}`)).toMatchObject({ status: "Running", config: { "user.note": "edited" } });
    } finally {
      await t.cleanup(true);
    }
  });

  it("an import file for the YAML program: pulumi import --file through the plugin, then a clean preview and an up with no write", () => {
    const { run, takeWrites } = cliSession(path.join(importDir, "cli"));
    const dir = path.join(importDir, "program");
    const out = generate(["--language", "yaml", "--out", dir, "--plugin", plugin, "--stack", "imported", "--import-file"]);
    expect(out.stdout).toContain("(to import)");
    const file = JSON.parse(fs.readFileSync(path.join(dir, "import.json"), "utf8"));
    // Imported, the image keeps its aliases: no ImageAlias resources besides.
    expect(file.resources).toHaveLength(OBJECTS - 2);
    expect(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")).not.toContain("adopt");
    const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], dir);
    pulumi("stack", "select", "--create", "imported");
    run("bash", ["-c", 'printf %s "$0" | pulumi config set --secret profile_web_config_user_api_token', SECRET], dir);
    pulumi("import", "--file", "import.json", "--yes", "--protect=false", "--generate-code=false");
    expect(takeWrites()).toEqual([]);
    const state = JSON.parse(pulumi("stack", "export"));
    const kinds = new Set(state.deployment.resources.filter((r: { type: string }) => r.type.startsWith("incus:")).map((r: { type: string }) => r.type));
    expect([...kinds].sort()).toEqual(
      ["Image", "Instance", "InstanceSnapshot", "Network", "NetworkAcl", "Profile", "StoragePool", "StorageVolume"].map((k) => `incus:index:${k}`),
    );
    pulumi("preview", "--expect-no-changes", "--diff");
    pulumi("up", "--yes", "--expect-no-changes");
    expect(takeWrites()).toEqual([]);
    expect(occurrences(filesUnder(path.join(importDir, "cli", "state")), SECRET)).toBe(0);
  });
});
