// Pulumi runs for the benchmarks (scripts/bench-deploy.js, scripts/bench-cluster.ts): a temporary file:// backend, the
// engine flags of each mode, the benchmark programs installed as users install the package, and Stack, which runs
// one `pulumi` command and returns its wall time, the requests it sent to Incus and the memory of its process tree.
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { sampleTree } = require("./bench-proc");

const REPO = path.resolve(__dirname, "..");
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-"));
/** Run in reverse at the end, whatever happened. */
const cleanups = [];
/** The PID of the pulumi command under way, and whether the benchmark was told to stop. */
const state = { current: undefined, stopping: false };

const backend = path.join(TMP, "state");
fs.mkdirSync(backend);
const pulumiEnv = () => ({
  ...process.env,
  PULUMI_BACKEND_URL: `file://${backend}`,
  PULUMI_CONFIG_PASSPHRASE: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
});

/** Engine flags and environment of a mode at N resources. */
function modeArgs(mode, n) {
  if (mode === "default") return { flags: [], env: {} };
  const flags = ["--parallel", String(Math.max(n + 2, 16))]; // every resource of the stack at once
  return { flags, env: mode === "nockpt" ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {} };
}
const modeText = (mode, n) => (mode === "default" ? "" : ` [${modeArgs(mode, n).flags.join(" ")}${mode === "nockpt" ? ", no checkpoints" : ""}]`);

// What users run: the package as `npm pack` ships it, installed into a program directory outside the repository.
// (Linked from the checkout instead, Pulumi would record each resource's provider as the text of its methods, not
// as a `require` of the installed package: see sdk/provider.ts.) The benchmark programs that use pulumi-incus run
// from there; the empty and trivial programs need only @pulumi/pulumi and run from examples/.
let installed;
function installedApp() {
  if (installed) return installed;
  installed = path.join(TMP, "app");
  fs.mkdirSync(installed);
  // BENCH_TARBALL: one packed already (benchmarks run side by side, whose packs would rebuild dist/ under each other).
  const tarball =
    process.env.BENCH_TARBALL ??
    path.join(
      TMP,
      JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", TMP, "--loglevel=error"], { cwd: REPO, encoding: "utf8" }))[0].filename,
    );
  const version = (pkg) => JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version;
  const dependencies = { "pulumi-incus": `file:${path.resolve(tarball)}`, "@pulumi/pulumi": version("@pulumi/pulumi") };
  fs.writeFileSync(path.join(installed, "package.json"), JSON.stringify({ name: "pulumi-incus-bench", private: true, dependencies }));
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: installed, stdio: "inherit" });
  return installed;
}

/** The example's program directory: examples/<example>, or its copy beside the installed package. */
function programDir(example) {
  const source = path.join(REPO, "examples", example);
  const compiled = path.join(REPO, "dist", "examples", example, "index.js");
  if (!fs.readFileSync(compiled, "utf8").includes('require("pulumi-incus")')) return source;
  const dir = path.join(installedApp(), example);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir);
    fs.copyFileSync(compiled, path.join(dir, "index.js"));
    const project = fs.readFileSync(path.join(source, "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, "main: index.js");
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project);
  }
  return dir;
}

/**
 * examples/bench-profiles as a Pulumi YAML program of `n` profiles (YAML has no loops: one is written per N), served
 * by the checkout's `incus` plugin (provider/plugin/incus runs the dist/ build).
 */
function yamlProfiles(n) {
  const dir = path.join(TMP, `yaml-profiles-${n}`);
  if (fs.existsSync(dir)) return dir;
  fs.mkdirSync(dir);
  const lines = [
    "name: pulumi-incus-bench-yaml-profiles",
    "runtime: yaml",
    `packages:\n  incus: ${path.join(REPO, "provider", "plugin", "incus")}`,
    "config:\n  project:\n    type: string\n  prefix:\n    type: string",
    "resources:",
  ];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  p${i}:\n    type: incus:index:Profile\n    properties:\n      project: \${project}\n      name: \${prefix}-${i}\n` +
        `      description: bench profile ${i}\n      config:\n        limits.cpu: "${1 + (i % 2)}"\n        user.index: "${i}"`,
    );
  }
  lines.push(`outputs:\n  names: ${n}`);
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${lines.join("\n")}\n`);
  return dir;
}

class Stack {
  constructor(dir, name, mode = "default", n = 0) {
    this.dir = dir;
    this.name = name;
    this.mode = modeArgs(mode, n);
    this.configFile = path.join(TMP, `Pulumi.${name}.yaml`);
  }
  /** Runs `pulumi <args>` on this stack: wall time, requests to Incus, and memory of its process tree. */
  async run(...args) {
    const log = path.join(TMP, `requests-${this.name}.log`);
    fs.rmSync(log, { force: true });
    const engine = /^(up|refresh|destroy|preview)$/.test(args[0]);
    const extra = engine ? this.mode.flags : [];
    // `stack init`/`stack rm` take no --config-file (and rm must not look for one in the example's directory).
    const stackCmd = args[0] === "stack";
    const target = stackCmd ? (args[1] === "rm" ? ["--stack", this.name, "--preserve-config"] : []) : ["--stack", this.name, "--config-file", this.configFile];
    const argv = [...args, ...extra, ...target, "--non-interactive"];
    const started = process.hrtime.bigint();
    const env = { ...pulumiEnv(), ...(engine ? this.mode.env : {}), PULUMI_INCUS_REQUEST_LOG: log };
    if (state.stopping) throw new Error("interrupted");
    const child = spawn("pulumi", argv, { cwd: this.dir, env });
    state.current = child.pid;
    const stop = sampleTree(child.pid);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    state.current = undefined;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const mem = stop();
    if (code !== 0) throw new Error(`pulumi ${argv.join(" ")} exited with ${code}:\n${out.slice(-4000)}`);
    const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    const byMethod = {};
    for (const l of lines) byMethod[l.split(" ")[0]] = (byMethod[l.split(" ")[0]] ?? 0) + 1;
    // Lists: GETs of a collection (`?…recursion=1`), one line per kind and project.
    const lists = lines.filter((l) => l.startsWith("GET ") && /[?&]recursion=/.test(l)).length;
    return { ms, requests: lines.length, byMethod, lists, mem, out };
  }
  async init(config) {
    await this.run("stack", "init", this.name, "--no-select");
    // init writes the stack's config file (its encryption salt) next to Pulumi.yaml: move it to the temp dir.
    const written = path.join(this.dir, `Pulumi.${this.name}.yaml`);
    if (fs.existsSync(written)) {
      fs.copyFileSync(written, this.configFile);
      fs.rmSync(written);
    }
    cleanups.push(() => this.run("stack", "rm", "--yes", "--force").catch(() => undefined));
    for (const [k, v] of Object.entries(config)) await this.run("config", "set", k, String(v));
  }
}

/** SIGTERM or Ctrl-C: the command under way is interrupted, and what finished is reported and cleaned up. */
function stopOnSignals() {
  const stop = () => {
    state.stopping = true;
    if (state.current) process.kill(state.current, "SIGINT");
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

/** Runs the cleanups in reverse order, then removes the temporary folder. */
async function cleanUp() {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (e) {
      console.error(`cleanup: ${e.message}`);
    }
  }
  fs.rmSync(TMP, { recursive: true, force: true });
}

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

module.exports = { REPO, TMP, cleanups, state, modeArgs, modeText, programDir, yamlProfiles, Stack, stopOnSignals, cleanUp, loadavg };
