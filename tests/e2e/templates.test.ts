// The `pulumi new` templates (templates/typescript, templates/yaml) as a user starts from them: `pulumi new <path>`
// offline into an empty directory, pulumi-incus added the way the template's quickstart says (the packed tarball for
// TypeScript; the plugin tarball installed into a PULUMI_HOME of the test's own for YAML), then through the real CLI:
// up (the instance waited for until running), a second up with no write and a preview that expects no change, destroy.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dropTestProject, incus, incusJson, offlineEnv, packedTarball, REPO, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-7);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-templates-"));
const made: string[] = [];

beforeAll(useYamlHost, 900_000);

afterAll(async () => {
  // Only if something failed half-way: what the test made goes.
  for (const p of made) {
    if (incusJson(`/1.0/projects/${p}`)) await dropTestProject(p);
    if (incusJson(`/1.0/networks/${p}-net`)) incus("network", "delete", `${p}-net`);
  }
  fs.rmSync(work, { recursive: true, force: true });
});

/** Runs a command with the test's environment; a failure carries its output. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** Requests other than reads (GET, HEAD) logged since the last call. */
function takeWrites(log: string): string[] {
  if (!fs.existsSync(log)) return [];
  const lines = fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  fs.truncateSync(log, 0);
  return lines.filter((l) => !/^(GET|HEAD) /.test(l));
}

describe.each([
  ["typescript", `tt${s}`],
  ["yaml", `ty${s}`],
])("templates/%s", (template, incusProject) => {
  it("pulumi new offline, up with the instance running, a second up with no write, destroy", () => {
    made.push(incusProject);
    const dir = path.join(work, template);
    const app = path.join(dir, "app");
    const { requestLog: log, env: offline } = offlineEnv(dir);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...offline,
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    if (template === "yaml") {
      // The plugin as a user installs it, into a Pulumi home of this test's own.
      env.PULUMI_HOME = path.join(dir, "home");
      const tarball = execFileSync("bash", [path.join(REPO, "scripts", "build-plugin.sh")], { cwd: REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
        .trim()
        .split("\n")
        .pop() as string;
      run("pulumi", ["plugin", "install", "resource", "incus", "0.1.0", "-f", tarball], dir, env);
    }

    const created = run(
      "pulumi",
      [
        "new",
        path.join(REPO, "templates", template),
        "--yes",
        "--stack",
        "dev",
        "--dir",
        "app",
        "--name",
        `tpl-${template}`,
        "--config",
        `incusProject=${incusProject}`,
        "--config",
        "image=pulumi-incus/busybox",
      ],
      dir,
      env,
    );
    expect(created).toContain("Your new project is ready to go!");
    // The template's defaults for what the test did not set.
    expect(fs.readFileSync(path.join(app, "Pulumi.dev.yaml"), "utf8")).toContain(`tpl-${template}:pool: default`);
    // `pulumi new` sends nothing to Incus.
    expect(fs.existsSync(log)).toBe(false);
    if (template === "typescript") {
      run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", packedTarball()], app, env);
      expect(JSON.parse(fs.readFileSync(path.join(app, "package.json"), "utf8")).dependencies["pulumi-incus"]).toMatch(/^file:.*\.tgz$/);
      // The template's program type-checks against the shipped declarations.
      run("npx", ["tsc", "--noEmit", "-p", "."], app, env);
    }

    try {
      run("pulumi", ["up", "--yes", "--non-interactive", "--skip-preview"], app, env);
      const out = JSON.parse(run("pulumi", ["stack", "output", "--json"], app, env));
      expect(out).toEqual({ incusProject, networkName: `${incusProject}-net`, instanceName: "app", instanceStatus: "Running" });
      const q = `project=${incusProject}`;
      expect(incusJson(`/1.0/networks/${incusProject}-net`).config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
      expect(incusJson(`/1.0/profiles/base?${q}`).devices).toEqual({
        root: { type: "disk", path: "/", pool: "default" },
        eth0: { type: "nic", network: `${incusProject}-net`, name: "eth0" },
      });
      const instance = incusJson(`/1.0/instances/app?${q}`);
      expect(instance.status).toBe("Running");
      expect(instance.profiles).toEqual(["base"]);
      takeWrites(log);

      // Nothing changed: a second up sends no write, and a preview expects no change.
      run("pulumi", ["up", "--yes", "--non-interactive", "--skip-preview"], app, env);
      expect(takeWrites(log)).toEqual([]);
      run("pulumi", ["preview", "--expect-no-changes", "--non-interactive"], app, env);
      expect(takeWrites(log)).toEqual([]);

      run("pulumi", ["destroy", "--yes", "--non-interactive", "--skip-preview"], app, env);
      expect(incusJson(`/1.0/projects/${incusProject}`)).toBeNull();
      expect(incusJson(`/1.0/networks/${incusProject}-net`)).toBeNull();
    } finally {
      run("pulumi", ["stack", "rm", "dev", "--yes", "--force", "--non-interactive"], app, env);
    }
  });
});
