#!/usr/bin/env node
// What a deployment through Pulumi costs, side by side in one run (run by scripts/bench-deploy.sh, which builds first).
// Columns of every case (issues 13 and 28):
//   raw floor     the same work through direct parallel REST calls with the project's IncusClient (what Incus itself
//                 needs: create+start of N busybox containers, force-stop+delete of them);
//   empty         `pulumi up` / `destroy` of a program with no resources (examples/bench-empty): the engine's fixed cost;
//   trivial       N dynamic resources whose methods do nothing (examples/bench-trivial): what Pulumi costs per resource;
//   pulumi-incus  N containers (examples/bench-instances), N profiles (examples/bench-profiles) or the mixed stack
//                 (examples/bench-mixed), run against the package as users install it (npm pack, then npm install in
//                 a directory outside the repository);
//   YAML          the same N profiles as a Pulumi YAML program served by the `incus` plugin (provider/plugin).
// Cases: up, no-change up, preview, refresh (with the requests sent to Incus, PULUMI_INCUS_REQUEST_LOG) and destroy,
// at each N, in each engine mode (BENCH_MODES: `default` parallelism; `parallel`, --parallel ≥ N; `nockpt`, that and
// PULUMI_SKIP_CHECKPOINTS=true, what a user can set when the engine's whole-state checkpoints are the limit).
// Each case runs BENCH_ROUNDS times (default 2), interleaved, so load from others on the machine shows as spread;
// figures are the median of the rounds (and the spread), ratios use medians. The load average is printed.
// Memory: the whole process tree of each `pulumi` command (CLI/engine, language host, program, provider) is sampled
// from /proc every 100 ms (scripts/bench-proc.js); figures are each process's own peak RSS.
// It runs against a private incusd of its own (tests/faults/daemon.ts, under /var/lib/pulumi-incus-bench, stopped at
// the end) unless BENCH_DAEMON=shared; every run uses its own projects, unique stack names and a temporary file://
// backend, and removes all of it. The table and plot: scripts/bench-report.js.
//
//   BENCH_SIZES=10,30,100 (containers)  BENCH_PROFILES=100  BENCH_MIXED=200  BENCH_ROUNDS=2  BENCH_MODES=default
//   BENCH_YAML=1  BENCH_DAEMON=private|shared  BENCH_DAEMON_TAG=deploy  BENCH_OUT=<dir for the plot>
//   BENCH_TARBALL=<a packed pulumi-incus>   node scripts/bench-deploy.js
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { sampleTree } = require("./bench-proc");
const { report } = require("./bench-report");

const REPO = path.resolve(__dirname, "..");
const { IncusClient, closeAllPools, isNotFound, operationGone } = require(path.join(REPO, "dist", "provider"));

const list = (v, d) =>
  (v ?? d)
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
const SIZES = list(process.env.BENCH_SIZES, "10,30,100");
const PROFILES = list(process.env.BENCH_PROFILES, "100");
/** The load case of issue 14: a mixed stack (profiles, volumes, containers using them) of this many resources. */
const MIXED = Number(process.env.BENCH_MIXED ?? 200);
const MODES = (process.env.BENCH_MODES ?? "default").split(",").filter(Boolean);
const YAML = process.env.BENCH_YAML !== "0";
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";
const SUFFIX = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-"));
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(REPO, ".state", "bench"));

let client; // made once the daemon is chosen (INCUS_SOCKET)
let daemon; // the private incusd, when used
const cleanups = []; // run in reverse at the end, whatever happened
let current; // the PID of the pulumi command under way
let stopping = false;

// ---- the daemon ---------------------------------------------------------------------------------------------------

/** A private incusd (the fault suite's fixture), so thousands of objects never load the daemon others test against. */
async function privateDaemon() {
  require("tsx/cjs"); // the fixture is TypeScript
  const { FaultDaemon } = require(path.join(REPO, "tests", "faults", "daemon.ts"));
  // BENCH_DAEMON_TAG: its directory's name, so two benchmarks can run side by side.
  daemon = new FaultDaemon(process.env.BENCH_DAEMON_TAG ?? "deploy", { root: "/var/lib/pulumi-incus-bench" });
  await daemon.create();
  process.env.INCUS_SOCKET = daemon.socket; // this process's client and every provider the CLI starts
}

// ---- pulumi runs ------------------------------------------------------------------------------------------------

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
    if (stopping) throw new Error("interrupted");
    const child = spawn("pulumi", argv, { cwd: this.dir, env });
    current = child.pid;
    const stop = sampleTree(child.pid);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    current = undefined;
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

// ---- direct REST: the floor ----------------------------------------------------------------------------------------

async function createProject(name, config) {
  await client.post("/1.0/projects", { name, description: "pulumi-incus benchmark (temporary)", config }, { project: null });
  cleanups.push(async () => {
    // Normally empty by now; after a failure, whatever a run left behind goes with the project.
    await removeInstances(name).catch(() => undefined);
    if (config["features.profiles"] === "true") {
      const profiles = await client.list("/1.0/profiles", { project: name }).catch(() => []);
      for (const p of profiles) if (p.name !== "default") await client.delete(`/1.0/profiles/${encodeURIComponent(p.name)}`, { project: name });
    }
    if (config["features.storage.volumes"] === "true") {
      const volumes = await client.list("/1.0/storage-pools/default/volumes/custom", { project: name }).catch(() => []);
      for (const v of volumes) await client.delete(`/1.0/storage-pools/default/volumes/custom/${encodeURIComponent(v.name)}`, { project: name });
    }
    await client.delete(`/1.0/projects/${encodeURIComponent(name)}`, { project: null }).catch((e) => {
      if (!isNotFound(e)) console.error(`cleanup: project ${name}: ${e.message}`);
    });
  });
}

async function listInstances(project) {
  return client.list("/1.0/instances", { project });
}

/**
 * On a loaded machine Incus can forget a finished operation (it keeps one 5 s) before its waiter asks again (404):
 * the floor's callers count what the daemon has afterwards.
 */
function forgotten(e) {
  if (!operationGone(e) && !(isNotFound(e) && /operations/.test(e.message))) throw e;
}

/** The raw delete: force-stop what runs, then delete, all in parallel. */
async function removeInstances(project) {
  let list;
  try {
    list = await listInstances(project);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  await Promise.all(
    list.map(async (i) => {
      const p = `/1.0/instances/${encodeURIComponent(i.name)}`;
      if (i.status !== "Stopped") await client.put(`${p}/state`, { action: "stop", force: true }, { project }).catch(() => undefined);
      await client.delete(p, { project }).catch(forgotten);
    }),
  );
}

/** Create and start N containers in parallel: one POST with start=true each (Incus's own fastest way). */
async function restDeploy(project, names) {
  await Promise.all(
    names.map((name) =>
      client.post("/1.0/instances", { name, type: "container", source: { type: "image", alias: IMAGE }, start: true }, { project }).catch(forgotten),
    ),
  );
}

async function running(project) {
  return (await listInstances(project)).filter((i) => i.status === "Running").length;
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

// ---- the cases ----------------------------------------------------------------------------------------------------

/** One list of runs (one per round) per case and column; a case is { op, what, n, mode }. */
const results = new Map();
function record(op, what, n, mode, column, run) {
  const key = `${op}, ${what}${modeText(mode, n)}`;
  if (!results.has(key)) results.set(key, { op, what, n, mode, columns: {} });
  (results.get(key).columns[column] ??= []).push(run);
}

/** up, no-change up, preview, refresh, destroy of one stack. */
async function lifecycle(stack, column, what, n, mode, check) {
  const rec = (op, run) => record(op, what, n, mode, column, run);
  rec("up", await stack.run("up", "--yes", "--skip-preview"));
  if (check) await check("up");
  const noop = await stack.run("up", "--yes", "--skip-preview");
  // A no-change up that changed something would make the figure meaningless: say so.
  const summary = /Resources:[\s\S]*?(?:\n\s*\n|$)/.exec(noop.out)?.[0].replace(/\s+/g, " ").trim();
  if (!summary || /\d+ (to )?(created|updated|replaced|deleted|create|update|replace|delete)/.test(summary)) {
    console.log(`warning: the no-change up of ${what} (${column}) reported: ${summary ?? noop.out.slice(-400)}`);
  }
  rec("no-change up", noop);
  rec("preview", await stack.run("preview"));
  rec("refresh", await stack.run("refresh", "--yes", "--skip-preview"));
  rec("destroy", await stack.run("destroy", "--yes", "--skip-preview"));
  if (check) await check("destroy");
}

function profilesCheck(project, prefix, n) {
  return async (step) => {
    const live = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith(`${prefix}-`)).length;
    if (live !== (step === "up" ? n : 0)) throw new Error(`after ${step}: ${live} profiles`);
  };
}

async function round(r) {
  const empty = new Stack(programDir("bench-empty"), `be${r}-${SUFFIX}`);
  await empty.init({});
  record("up", "no resources", 0, "default", "empty", await empty.run("up", "--yes", "--skip-preview"));
  record("destroy", "no resources", 0, "default", "empty", await empty.run("destroy", "--yes", "--skip-preview"));

  const ns = [...new Set([...SIZES, ...PROFILES, ...(MIXED > 0 ? [MIXED] : [])])].sort((a, b) => a - b);
  for (const mode of MODES) {
    const tag = `${r}${mode[0]}`;
    for (const n of ns) {
      const trivial = new Stack(programDir("bench-trivial"), `bt${tag}n${n}-${SUFFIX}`, mode, n);
      await trivial.init({ count: n, prefix: "t" });
      await lifecycle(trivial, "trivial", `${n} resources`, n, mode);

      if (SIZES.includes(n)) {
        const what = `${n} containers`;
        const project = `bench-${SUFFIX}-${tag}c${n}`;
        await createProject(project, { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" });
        if (mode === MODES[0]) {
          // The floor does not depend on the engine's mode: measured once per round (recorded without a mode).
          const names = Array.from({ length: n }, (_, i) => `r${i}`);
          record("up", what, n, "default", "raw", await timed(() => restDeploy(project, names)));
          if ((await running(project)) !== n) throw new Error(`REST: expected ${n} running instances`);
          record("destroy", what, n, "default", "raw", await timed(() => removeInstances(project)));
          if ((await listInstances(project)).length !== 0) throw new Error("REST: instances left after the delete");
        }
        const stack = new Stack(programDir("bench-instances"), `bi${tag}n${n}-${SUFFIX}`, mode, n);
        await stack.init({ project, count: n, image: IMAGE, prefix: "p" });
        await lifecycle(stack, "incus", what, n, mode, async (step) => {
          if (step === "up" && (await running(project)) !== n) throw new Error(`pulumi: expected ${n} running instances`);
          if (step === "destroy" && (await listInstances(project)).length !== 0) throw new Error("pulumi destroy left instances");
        });
      }

      if (PROFILES.includes(n)) {
        const what = `${n} profiles`;
        const project = `bench-${SUFFIX}-${tag}p${n}`;
        await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "false" });
        const stack = new Stack(programDir("bench-profiles"), `bp${tag}n${n}-${SUFFIX}`, mode, n);
        await stack.init({ project, count: n, prefix: "bp" });
        await lifecycle(stack, "incus", what, n, mode, profilesCheck(project, "bp", n));
        if (YAML) {
          const yaml = new Stack(yamlProfiles(n), `by${tag}n${n}-${SUFFIX}`, mode, n);
          await yaml.init({ project, prefix: "by" });
          await lifecycle(yaml, "yaml", what, n, mode, profilesCheck(project, "by", n));
        }
      }

      if (n === MIXED && mode === MODES[0]) await mixed(r, mode);
    }
  }
}

/** The mixed stack: up, no-change up, preview, refresh and destroy, with what the daemon has after up and destroy. */
async function mixed(r, mode) {
  const what = `${MIXED} mixed`;
  const project = `bench-${SUFFIX}-${r}m`;
  await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "true" });
  const groups = Math.max(1, Math.floor(MIXED / 4));
  const instances = Math.max(1, MIXED - 2 * groups);
  const stack = new Stack(programDir("bench-mixed"), `bm${r}-${SUFFIX}`, mode, MIXED);
  await stack.init({ project, count: MIXED, image: IMAGE });
  await lifecycle(stack, "incus", what, MIXED, mode, async (step) => {
    const up = step === "up";
    const profiles = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith("mp-")).length;
    const volumes = (await client.list("/1.0/storage-pools/default/volumes/custom", { project })).length;
    const live = up ? await running(project) : (await listInstances(project)).length;
    const want = up ? [groups, groups, instances] : [0, 0, 0];
    if (`${[profiles, volumes, live]}` !== `${want}`)
      throw new Error(`after ${step}: profiles, volumes, running instances = ${[profiles, volumes, live]}, expected ${want}`);
  });
}

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

async function main() {
  if (process.env.BENCH_DAEMON !== "shared") await privateDaemon();
  client = new IncusClient();
  const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  let commit = "?";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();
  } catch {}
  const loads = [`start ${loadavg()}`];
  console.log(
    `pulumi-incus deploy benchmark at ${commit}: pulumi ${version}, node ${process.version}, ${os.cpus().length} CPUs, ` +
      `modes ${MODES.join(", ")}, image ${IMAGE}, Incus ${(await client.server()).environment?.server_version ?? "?"}` +
      ` (${daemon ? `private daemon ${daemon.dir}` : "shared daemon"})`,
  );
  console.log(`load average at start: ${loadavg()}`);
  const t0 = Date.now();
  // SIGTERM or Ctrl-C: the command under way is interrupted, and what finished is reported and cleaned up.
  const stop = () => {
    stopping = true;
    if (current) process.kill(current, "SIGINT");
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  let done = 0;
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      await round(r);
      done = r;
      console.log(`round ${r} done after ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()}`);
      loads.push(`after round ${r} ${loadavg()}`);
    }
  } catch (err) {
    console.error(`benchmark stopped in round ${done + 1}: ${stopping ? "interrupted" : (err.stack ?? err)}`);
    process.exitCode = 1;
    loads.push(`when stopped ${loadavg()}`);
  }
  if (results.size) report(results, { rounds: done, commit, loads, out: OUT, sizes: SIZES, profiles: PROFILES, mixed: MIXED });
}

main()
  .catch((err) => {
    console.error(`benchmark failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        console.error(`cleanup: ${e.message}`);
      }
    }
    await closeAllPools();
    if (daemon) await daemon.destroy().catch((e) => console.error(`cleanup: the private daemon: ${e.message}`));
    fs.rmSync(TMP, { recursive: true, force: true });
    process.exit(); // the TypeScript loader's esbuild service would keep the process alive
  });
