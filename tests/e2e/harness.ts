// Runs example programs (each its own directory with Pulumi.yaml) through the real Pulumi engine, offline, with a
// throw-away file:// backend, and counts the requests the provider sends to Incus.
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

function pulumiBinary(): string {
  const found = execFileSync("bash", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim();
  if (!found) throw new Error("pulumi is not on PATH: run the tests through scripts/test.sh");
  return fs.realpathSync(found);
}

/** The Automation API's handle on the `pulumi` CLI on PATH (the version the set-up scripts built). */
export function pulumiCommand(): Promise<PulumiCommand> {
  const bin = pulumiBinary();
  return PulumiCommand.get({ root: path.dirname(path.dirname(bin)), skipVersionCheck: true });
}

/**
 * The environment of a test's Pulumi runs here: a throw-away file:// backend in `dir`/state, no update check or
 * plugin download (offline), and the provider's request log in `dir`/requests.log.
 */
export function offlineEnv(dir: string) {
  const requestLog = path.join(dir, "requests.log");
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const env = {
    PULUMI_BACKEND_URL: `file://${dir}/state`,
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_INCUS_REQUEST_LOG: requestLog,
  };
  return { env, requestLog };
}

export interface TestStack {
  stack: Stack;
  /** Requests the provider sent since the last call, as "METHOD path" lines. */
  takeRequests(): string[];
  /** Requests other than GET. */
  writes(lines: string[]): string[];
  env: Record<string, string>;
  workDir: string;
  /** Destroys the stack and removes it; `forget`: removes it without destroying what it manages. */
  cleanup(forget?: boolean): Promise<void>;
}

/** A fresh stack of `examples/<example>` with its own backend directory and request log. */
export function exampleStack(example: string, config: Record<string, string> = {}): Promise<TestStack> {
  return programStack(path.join(REPO, "examples", example), config);
}

/** A fresh stack of the program in `workDir` with its own backend directory and request log (and a random name). */
export async function programStack(workDir: string, config: Record<string, string> = {}, stackName = `t${uniqueSuffix()}`): Promise<TestStack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `pi-e2e-${path.basename(workDir)}-`));
  const { requestLog, env: offline } = offlineEnv(tmp);
  const env: Record<string, string> = { ...offline, PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true" };
  const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { pulumiCommand: await pulumiCommand(), envVars: env });
  for (const [k, v] of Object.entries(config)) await stack.setConfig(k, { value: v });
  const takeRequests = () => {
    if (!fs.existsSync(requestLog)) return [];
    const lines = fs.readFileSync(requestLog, "utf8").split("\n").filter(Boolean);
    fs.truncateSync(requestLog, 0);
    return lines;
  };
  return {
    stack,
    env,
    workDir,
    takeRequests,
    writes: (lines) => lines.filter((l) => !l.startsWith("GET ")),
    async cleanup(forget = false) {
      try {
        if (!forget) await stack.destroy();
      } finally {
        await stack.workspace.removeStack(stack.name).catch(() => undefined);
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** Puts the Pulumi YAML language host on PATH (the CLI looks for it there); a clean machine builds it, once. */
export function useYamlHost(): void {
  const dir = execFileSync("bash", [path.join(REPO, "scripts", "setup-yaml.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  process.env.PATH = `${dir}:${process.env.PATH}`;
}

/** Runs the `incus` CLI (for out-of-band edits and checks the way a user would make them). */
export function incus(...args: string[]): string {
  return execFileSync("incus", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function incusJson<T = any>(path: string): T | null {
  try {
    return JSON.parse(execFileSync("incus", ["query", path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }));
  } catch {
    return null;
  }
}

/**
 * After a test that failed half-way: its project and what is left in it go, object by object (Incus's force delete
 * can reach the default project's objects when a feature is off). Closes the connections it opened.
 */
export async function dropTestProject(name: string): Promise<void> {
  const { closeAllPools, deleteProjectAndContents, IncusClient } = await import("pulumi-incus/provider");
  try {
    await deleteProjectAndContents(new IncusClient(), name);
  } catch {
    /* reported by the test's assertions already */
  } finally {
    await closeAllPools();
  }
}

/** Only after a test that failed half-way: its project, if still there, and its default-project networks go. */
export async function dropLeftovers(project: string, networks: string[] = []): Promise<void> {
  if (incusJson(`/1.0/projects/${project}`)) await dropTestProject(project);
  for (const n of networks) if (incusJson(`/1.0/networks/${n}`)) incus("network", "delete", n);
}

/** The config key that carries the owner mark on every object an SDK program makes (the stack instance, resource). */
export const OWNER_MARK = "user.pulumi-incus.stack";

/** `config` as an object the stack made has it: with its owner mark (`org/project/stack/<stack id>::<URN> #<claim>`). */
export function marked(config: Record<string, string>): Record<string, unknown> {
  return { ...config, [OWNER_MARK]: expect.stringMatching(/^organization\/[^/]+\/[^/]+\/[0-9a-f-]{36}::urn:pulumi:\S+::\S+ #[0-9a-f]{12}$/) };
}

/** Every file under a directory, as text (a stack's file backend, to count what it holds). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), "utf8"));
}

/** How many times `needle` appears in the texts (a secret's plain-text occurrences). */
export function occurrences(texts: string[], needle: string): number {
  return texts.reduce((n, text) => n + text.split(needle).length - 1, 0);
}

/**
 * Packs the checkout as users get it: `npm pack` of a copy of the files git tracks (and new ones it does not ignore),
 * so the prepack build writes its own dist/ and suites running beside this one keep theirs. Returns npm's record.
 */
export function packCheckout(
  work: string,
  run: (cmd: string, args: string[], cwd: string) => string,
): { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] } {
  const src = path.join(work, "src");
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], REPO).split("\0").filter(Boolean);
  for (const f of files) {
    const from = path.join(REPO, f);
    if (!fs.existsSync(from) || fs.statSync(from).isDirectory()) continue;
    fs.mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
    fs.copyFileSync(from, path.join(src, f));
  }
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(src, "node_modules"));
  return JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], src))[0];
}

/**
 * The tarball `npm pack` makes of this checkout, packed once per content of the checkout's files and cached in
 * ~/.cache/pulumi-incus/tarballs (several suites install it; packing runs the prepack build, about half a minute).
 */
export function packedTarball(): string {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8" })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(REPO, f)) && fs.statSync(path.join(REPO, f)).isFile())
    .sort();
  const hash = createHash("sha256");
  for (const f of files)
    hash
      .update(f)
      .update("\0")
      .update(fs.readFileSync(path.join(REPO, f)))
      .update("\0");
  const cache = path.join(os.homedir(), ".cache", "pulumi-incus", "tarballs");
  const tarball = path.join(cache, `pulumi-incus-${hash.digest("hex").slice(0, 16)}.tgz`);
  if (fs.existsSync(tarball)) return tarball;
  fs.mkdirSync(cache, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-pack-"));
  try {
    const run = (cmd: string, args: string[], cwd: string) =>
      execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    const packed = packCheckout(work, run);
    // Renamed into place: a suite packing at the same time finds either nothing or the whole file.
    fs.renameSync(path.join(work, packed.filename), tarball);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return tarball;
}

/**
 * A test program (tests/e2e/programs/<name>, or `under` another folder such as examples/, compiled into dist/) as
 * users run one: copied outside the repository with its own package.json, which installs the package from its
 * tarball. Returns the program's directory; the caller removes it.
 */
export function installedProgram(name: string, under = path.join("tests", "e2e", "programs")): string {
  const source = path.join(REPO, under, name);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pi-installed-${name}-`));
  fs.copyFileSync(path.join(REPO, "dist", under, name, "index.js"), path.join(dir, "index.js"));
  const manifest = fs.readFileSync(path.join(source, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, "main: index.js");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), manifest);
  installPackage(dir, `installed-${name}`);
  return dir;
}

/**
 * `npm install` in a program directory of the packed package and this checkout's `@pulumi/pulumi` (and `extra`
 * packages, at this checkout's versions), as users install them.
 */
export function installPackage(dir: string, name: string, extra: string[] = []): void {
  const version = (pkg: string) => JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version as string;
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({
      name,
      private: true,
      dependencies: {
        "pulumi-incus": `file:${packedTarball()}`,
        "@pulumi/pulumi": version("@pulumi/pulumi"),
        ...Object.fromEntries(extra.map((p) => [p, version(p)])),
      },
    }),
  );
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Commands run as a user runs them in a shell, for suites that drive the CLI directly: an offline, file-backend
 * environment under `work` (state in work/state, the provider's request log in work/requests.log), `run` (throws
 * with the command's output), and the writes the provider sent since the last call. `timings` collects the seconds
 * each command took (a figure to print, not a limit).
 */
export function cliSession(work: string) {
  const { requestLog, env: offline } = offlineEnv(work);
  const env = {
    ...process.env,
    ...offline,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  const timings: string[] = [];
  const run = (cmd: string, args: string[], cwd: string): string => {
    const started = Date.now();
    try {
      return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    } finally {
      timings.push(`${cmd} ${args.slice(0, 2).join(" ")}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  /** Requests other than GET (and HEAD) that the provider sent since the last call. */
  const takeWrites = (): string[] => {
    if (!fs.existsSync(requestLog)) return [];
    const lines = fs.readFileSync(requestLog, "utf8").split("\n").filter(Boolean);
    fs.truncateSync(requestLog, 0);
    return lines.filter((l) => !l.startsWith("GET ") && !l.startsWith("HEAD "));
  };
  return { env, run, takeWrites, timings };
}
