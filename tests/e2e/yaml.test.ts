// Pulumi YAML programs through the real CLI and the YAML language host (built by scripts/setup-yaml.sh when
// missing), served by the `incus` resource provider plugin that `packages:` in Pulumi.yaml points at:
// examples/yaml-lab up → second up (no change, no write) → edit → drift shown per property and reverted → destroy;
// and a program the package schema rejects at preview, before any request.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dropLeftovers, incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const IMAGE_FILE = path.join(os.homedir(), ".cache", "pulumi-incus", "images", "debian-bookworm-v2.tar.gz");

beforeAll(useYamlHost, 900_000);

/** Requests that change something (HEAD only looks at a file). */
const writesOnly = (t: TestStack) => t.takeRequests().filter((w) => !/^(GET|HEAD) /.test(w));

describe("examples/yaml-lab", () => {
  const prefix = `y${uniqueSuffix().slice(-8)}`;
  const q = `project=${prefix}`;

  afterAll(() => dropLeftovers(prefix, [`${prefix}-net`]));

  it("up, a second up with no write, an edit, drift shown per property and reverted, destroy", async () => {
    const t = await programStack(path.join(REPO, "examples", "yaml-lab"), { prefix, imageFile: IMAGE_FILE });
    try {
      const preview = await t.stack.preview();
      expect(preview.changeSummary).toEqual({ create: 8 }); // stack, project, network, image, profile, volume, 2 instances
      expect(writesOnly(t)).toEqual([]);

      const up = await t.stack.up();
      expect(up.summary.resourceChanges).toEqual({ create: 8 });
      const out = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
      expect(out.projectName).toBe(prefix);
      expect(out.networkName).toBe(`${prefix}-net`);
      expect(out.volume).toBe("lab-data");
      // fn::invoke of one of the plugin's lookups.
      expect(out.poolDriver).toBe(incusJson("/1.0/storage-pools/default").driver);
      expect(out.nodes).toEqual([
        { name: "node1", status: "Ready", hello: "primary\nlab node 1 (primary), managed by pulumi-incus\n" },
        { name: "node2", status: "Ready", hello: "replica\nlab node 2 (replica), managed by pulumi-incus\n" },
      ]);
      // What the daemon has.
      const net = incusJson(`/1.0/networks/${prefix}-net`);
      expect(net.config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
      const profile = incusJson(`/1.0/profiles/lab-base?${q}`);
      expect(profile.config).toEqual({ "limits.cpu": "1", "limits.memory": "128MiB" });
      expect(profile.devices.eth0).toEqual({ type: "nic", network: `${prefix}-net`, name: "eth0" });
      expect(incusJson(`/1.0/instances/node1?${q}`).devices.data).toEqual({ type: "disk", pool: "default", source: "lab-data", path: "/data" });
      expect(incusJson(`/1.0/images/aliases/debian?${q}`).target).toBe(out.imageFingerprint);
      t.takeRequests();

      // A second up: nothing to do, and nothing but reads.
      const again = await t.stack.up();
      expect(again.summary.resourceChanges).toEqual({ same: 8 });
      expect(writesOnly(t)).toEqual([]);

      // An edit in the program's config: one PUT of the profile.
      await t.stack.setConfig("memory", { value: "96MiB" });
      const edit = await t.stack.up();
      expect(edit.summary.resourceChanges).toEqual({ update: 1, same: 7 });
      expect(writesOnly(t)).toEqual([`PUT /1.0/profiles/lab-base?${q}`]);
      expect(incusJson(`/1.0/profiles/lab-base?${q}`).config["limits.memory"]).toBe("96MiB");

      // Drift made by hand: the preview names the property that differs (the plugin's detailed diff), and up puts
      // the program's value back.
      incus("profile", "set", "lab-base", "limits.cpu=2", "user.hand=x", "--project", prefix);
      const drift = await t.stack.preview({ diff: true });
      expect(drift.changeSummary).toEqual({ update: 1, same: 7 });
      expect(drift.stdout).toMatch(/~ *config *: *\{/);
      expect(drift.stdout).toMatch(/~ limits\.cpu *:/);
      expect(drift.stdout).toMatch(/- user\.hand *:/);
      // And what the server has against what the program wants, as the dynamic providers print it.
      const plainPreview = await t.stack.preview();
      expect(plainPreview.stdout).toContain(`config["limits.cpu"]: server has "2", program wants "1"`);
      expect(plainPreview.stdout).toContain(`config["user.hand"]: server has "x", program wants unset`);
      const revert = await t.stack.up();
      expect(revert.summary.resourceChanges).toEqual({ update: 1, same: 7 });
      expect(incusJson(`/1.0/profiles/lab-base?${q}`).config).toEqual({ "limits.cpu": "1", "limits.memory": "96MiB" });
      expect(writesOnly(t)).toEqual([`PUT /1.0/profiles/lab-base?${q}`]);

      // A refresh reads every object through the plugin (nothing is gone), and leaves nothing to do.
      const refresh = await t.stack.refresh();
      expect(refresh.summary.resourceChanges?.delete).toBeUndefined();
      expect(writesOnly(t)).toEqual([]);
      expect((await t.stack.preview()).changeSummary).toEqual({ same: 8 });

      const destroy = await t.stack.destroy();
      expect(destroy.summary.resourceChanges).toEqual({ delete: 8 });
      expect(incusJson(`/1.0/projects/${prefix}`)).toBeNull();
      expect(incusJson(`/1.0/networks/${prefix}-net`)).toBeNull();
    } finally {
      await t.cleanup();
    }
  });
});

describe("schema type errors", () => {
  it("a YAML program with a misspelt field and a wrong type fails at preview, before any request", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-yaml-bad-"));
    const plugin = path.join(REPO, "provider", "plugin", "incus");
    fs.writeFileSync(
      path.join(dir, "Pulumi.yaml"),
      [
        "name: yaml-bad",
        "runtime: yaml",
        "packages:",
        `  incus: ${plugin}`,
        "resources:",
        "  web:",
        "    type: incus:index:Profile",
        "    properties:",
        "      descripton: typo",
        "      devices: [1, 2]",
        "",
      ].join("\n"),
    );
    const t = await programStack(dir);
    try {
      const err = await t.stack.preview().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeDefined();
      const text = String(err?.message);
      expect(text).toContain("descripton");
      expect(text).toMatch(/devices/);
      expect(t.takeRequests()).toEqual([]);
    } finally {
      await t.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A YAML program in a directory of its own; `packages:` points at the checkout's plugin unless told otherwise. */
function yamlProgram(name: string, body: string[], packages = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pi-yaml-${name}-`));
  const head = [`name: ${name}`, "runtime: yaml", ...(packages ? ["packages:", `  incus: ${path.join(REPO, "provider", "plugin", "incus")}`] : [])];
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), [...head, ...body, ""].join("\n"));
  return dir;
}

describe("the plugin's contract through the CLI: secrets, lookups by id, partial failures", () => {
  const project = `ys${uniqueSuffix().slice(-8)}`;
  const q = `project=${project}`;
  const SECRET = `s3cret-${uniqueSuffix()}`;

  afterAll(() => dropLeftovers(project));

  it("keeps secrets out of state and previews, reads by id, and keeps an instance whose command failed", async () => {
    const t = await programStack(path.join(REPO, "tests", "e2e", "programs", "yaml-contract"), { project });
    try {
      // Stack config holds it encrypted; the program marks it secret again with fn::secret.
      await t.stack.setConfig("token", { value: SECRET, secret: true });
      const err = await t.stack.up().then(
        () => undefined,
        (e: Error) => e,
      );
      // The instance was made, then its command failed: the step fails and the instance stays in state.
      expect(String(err?.message)).toMatch(/Instance "broken" in project "[^"]+" was created but is not ready: .*exit.*3/);
      expect(incusJson(`/1.0/instances/broken?${q}`)).not.toBeNull();
      // The state on disk (the Automation API's export shows secrets decrypted, so read the backend's files).
      const backend = t.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, "");
      const files = (fs.readdirSync(backend, { recursive: true }) as string[]).map((f) => path.join(backend, f)).filter((f) => fs.statSync(f).isFile());
      expect(files.some((f) => f.endsWith(".json"))).toBe(true);
      for (const f of files) expect(fs.readFileSync(f).toString("latin1")).not.toContain(SECRET);
      const resources = (await t.stack.exportStack()).deployment.resources as any[];
      const broken = resources.find((r) => r.urn.endsWith("::broken"));
      expect(broken.id).toBe(`/1.0/instances/broken?${q}`);
      expect(broken.initErrors?.join("\n")).toMatch(/exit/);
      const prof = resources.find((r) => r.urn.endsWith("::prof"));
      expect(prof.outputs.config["user.token"]).toMatchObject({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" });
      expect(prof.outputs.config["user.plain"]).toBe("visible");
      const looked = resources.find((r) => r.urn.endsWith("::looked"));
      expect(looked.outputs.name).toBe("default");
      // The server has the secret; the outputs say it is one.
      expect(incusJson(`/1.0/profiles/sec?${q}`).config["user.token"]).toBe(SECRET);
      const outputs = await t.stack.outputs();
      expect(outputs.token.secret).toBe(true);

      // Drift of the secret key: the preview says it differs and never shows a value.
      incus("profile", "set", "sec", "user.token=changed-by-hand", "--project", project);
      const drift = await t.stack.preview({ diff: true });
      expect(drift.stdout).toMatch(/~ user\.token *: \[secret\]/);
      const lines = await t.stack.preview();
      expect(lines.stdout).toContain(`config["user.token"]: the server's value differs from the program's (secret, not shown)`);
      for (const out of [drift.stdout, lines.stdout]) {
        expect(out).not.toContain(SECRET);
        expect(out).not.toContain("changed-by-hand");
      }

      const destroy = await t.stack.destroy();
      expect(destroy.summary.resourceChanges?.delete).toBe(4); // stack, project, profile, instance (not the lookup)
      expect(incusJson(`/1.0/projects/${project}`)).toBeNull();
      expect(incusJson("/1.0/profiles/default")).not.toBeNull();
    } finally {
      await t.cleanup();
    }
  });
});

describe("plugin tarball", () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "pi-yaml-home-"));
  const saved = process.env.PULUMI_HOME;
  afterAll(() => {
    if (saved === undefined) delete process.env.PULUMI_HOME;
    else process.env.PULUMI_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
    if (incusJson(`/1.0/profiles/${name}`)) incus("profile", "delete", name);
  });
  const name = `yt-${uniqueSuffix()}`;

  it("`pulumi plugin install resource incus <version> -f <tarball>` serves a YAML program without `packages:`", async () => {
    const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
    const out = execFileSync("bash", [path.join(REPO, "scripts", "build-plugin.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const tarball = out.trim().split("\n").pop()!;
    process.env.PULUMI_HOME = home;
    // Child processes get the env explicitly: Jest's sandboxed process.env is not the one child_process reads.
    execFileSync("pulumi", ["plugin", "install", "resource", "incus", version, "-f", tarball], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env } });
    expect(fs.existsSync(path.join(home, "plugins", `resource-incus-v${version}`, "pulumi-resource-incus"))).toBe(true);
    const dir = yamlProgram(
      "yaml-tarball",
      ["resources:", "  p:", "    type: incus:index:Profile", "    properties:", `      name: ${name}`, "      config: { user.from: tarball }"],
      false,
    );
    const t = await programStack(dir);
    try {
      const up = await t.stack.up();
      expect(up.summary.resourceChanges).toEqual({ create: 2 });
      expect(incusJson(`/1.0/profiles/${name}`).config).toEqual({ "user.from": "tarball" });
      const destroy = await t.stack.destroy();
      expect(destroy.summary.resourceChanges).toEqual({ delete: 2 });
      expect(incusJson(`/1.0/profiles/${name}`)).toBeNull();
    } finally {
      await t.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
