#!/usr/bin/env node
// What a deployment through Pulumi costs, side by side in one run (run by scripts/bench-deploy.sh, which builds first).
// For every case it measures four things and prints the ratio the goal is stated in (issue 13):
//   raw floor     the same work through direct parallel REST calls with the project's IncusClient (what Incus itself
//                 needs: create+start of N busybox containers, force-stop+delete of them);
//   empty         `pulumi up` / `destroy` of a program with no resources (examples/bench-empty): the engine's fixed cost;
//   trivial       N dynamic resources whose methods do nothing (examples/bench-trivial): what Pulumi costs per resource;
//   pulumi-incus  N containers (examples/bench-instances) or N profiles (examples/bench-profiles), run against the
//                 package as users install it (npm pack, then npm install in a directory outside the repository).
// Cases: up of N containers (N = 10, 30, 100), no-change up and preview, refresh (with the requests sent to Incus,
// PULUMI_INCUS_REQUEST_LOG) and destroy; the same for a stack of 100 profiles and for a mixed stack of 200
// resources (profiles, volumes, containers using them: BENCH_MIXED); peak memory of every process.
// Each case runs BENCH_ROUNDS times (default 2), interleaved, so load from others on the machine shows as spread;
// ratios use the best (lowest) time of each column. The load average is printed before and after.
// Memory: the whole process tree of each `pulumi` command (CLI/engine, language host, program, dynamic provider) is
// sampled from /proc every 100 ms; figures are each process's own peak RSS.
// Every run uses its own Incus projects, unique stack names and a temporary file:// backend, and removes all of it.
//
//   BENCH_SIZES=10,30,100  BENCH_PROFILES=100  BENCH_MIXED=200  BENCH_ROUNDS=2  BENCH_PARALLEL=<pulumi --parallel>  node scripts/bench-deploy.js
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const { IncusClient, closeAllPools, isNotFound } = require(path.join(REPO, "dist", "provider"));

const SIZES = (process.env.BENCH_SIZES ?? "10,30,100")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const PROFILES = Number(process.env.BENCH_PROFILES ?? 100);
/** The load case of issue 14: a mixed stack (profiles, volumes, containers using them) of this many resources. */
const MIXED = Number(process.env.BENCH_MIXED ?? 200);
const PARALLEL = process.env.BENCH_PARALLEL;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";
const SUFFIX = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-"));
const PAGE = 4096;
const TICKS = 100; // USER_HZ on Linux

const client = new IncusClient();
const cleanups = []; // run in reverse at the end, whatever happened

// ---- process-tree memory sampling -------------------------------------------------------------------------------

function procTable() {
  const table = new Map(); // pid → { ppid, rss }
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // after "pid (comm) ": state ppid ... ; rss is field 24 of the full line, index 21 here
      // utime and stime are fields 14 and 15 of the full line (clock ticks).
      table.set(Number(entry), { ppid: Number(fields[1]), rss: Number(fields[21]) * PAGE, cpu: (Number(fields[11]) + Number(fields[12])) / TICKS });
    } catch {
      /* the process ended while we looked */
    }
  }
  return table;
}

function role(pid) {
  let cmd = "";
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return null;
  }
  if (/pulumi-language-nodejs/.test(cmd)) return "language host";
  if (/pulumi-resource-pulumi-nodejs|dynamic-provider/.test(cmd)) return "dynamic provider (node)";
  if (/\bnode\b.*(run-plugin|cmd\/run|@pulumi\/pulumi)/.test(cmd) || /\bnode\b/.test(cmd)) return "program (node)";
  if (/(^|\/)pulumi\s/.test(cmd)) return "pulumi CLI/engine";
  return path.basename(cmd.split(" ")[0] || "?");
}

/** Samples the RSS of `root` and all its descendants; stop() returns the peaks. */
function sampleTree(root) {
  const roles = new Map(); // pid → role (looked up once)
  const perRole = new Map(); // role → peak RSS of one process in that role
  let peakTotal = 0;
  const cpuOf = new Map(); // pid → CPU seconds last seen
  const tick = () => {
    const table = procTable();
    const children = new Map();
    for (const [pid, p] of table) {
      if (!children.has(p.ppid)) children.set(p.ppid, []);
      children.get(p.ppid).push(pid);
    }
    let total = 0;
    const queue = [root];
    while (queue.length) {
      const pid = queue.pop();
      const p = table.get(pid);
      if (!p) continue;
      total += p.rss;
      cpuOf.set(pid, p.cpu);
      if (!roles.has(pid)) roles.set(pid, role(pid));
      const r = roles.get(pid);
      if (r) perRole.set(r, Math.max(perRole.get(r) ?? 0, p.rss));
      queue.push(...(children.get(pid) ?? []));
    }
    peakTotal = Math.max(peakTotal, total);
  };
  const timer = setInterval(tick, 100);
  tick();
  return () => {
    clearInterval(timer);
    tick();
    const cpuPerRole = new Map(); // role → CPU seconds of all its processes
    for (const [pid, cpu] of cpuOf) {
      const r = roles.get(pid);
      if (r) cpuPerRole.set(r, (cpuPerRole.get(r) ?? 0) + cpu);
    }
    return { peakTotal, perRole, cpuPerRole };
  };
}

// ---- pulumi runs ------------------------------------------------------------------------------------------------

const backend = path.join(TMP, "state");
fs.mkdirSync(backend);
const pulumiEnv = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${backend}`,
  PULUMI_CONFIG_PASSPHRASE: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
};

// What users run: the package as `npm pack` ships it, installed into a program directory outside the repository.
// (Linked from the checkout instead, Pulumi would record each resource's provider as the text of its methods, not
// as a `require` of the installed package: see sdk/provider.ts.) The benchmark programs that use pulumi-incus run
// from there; the empty and trivial programs need only @pulumi/pulumi and run from examples/.
let installed;
function installedApp() {
  if (installed) return installed;
  installed = path.join(TMP, "app");
  fs.mkdirSync(installed);
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", TMP, "--loglevel=error"], { cwd: REPO, encoding: "utf8" }));
  const version = (pkg) => JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version;
  const dependencies = { "pulumi-incus": `file:${path.join(TMP, packed.filename)}`, "@pulumi/pulumi": version("@pulumi/pulumi") };
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

class Stack {
  constructor(example, name) {
    this.dir = programDir(example);
    this.name = name;
    this.configFile = path.join(TMP, `Pulumi.${name}.yaml`);
  }
  /** Runs `pulumi <args>` on this stack: wall time, requests to Incus, and memory of its process tree. */
  async run(...args) {
    const log = path.join(TMP, `requests-${this.name}.log`);
    fs.rmSync(log, { force: true });
    const extra = PARALLEL && /^(up|refresh|destroy|preview)$/.test(args[0]) ? ["--parallel", PARALLEL] : [];
    // `stack init`/`stack rm` take no --config-file (and rm must not look for one in the example's directory).
    const stackCmd = args[0] === "stack";
    const target = stackCmd ? (args[1] === "rm" ? ["--stack", this.name, "--preserve-config"] : []) : ["--stack", this.name, "--config-file", this.configFile];
    const argv = [...args, ...extra, ...target, "--non-interactive"];
    const started = process.hrtime.bigint();
    const child = spawn("pulumi", argv, { cwd: this.dir, env: { ...pulumiEnv, PULUMI_INCUS_REQUEST_LOG: log } });
    const stop = sampleTree(child.pid);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const mem = stop();
    if (code !== 0) throw new Error(`pulumi ${argv.join(" ")} exited with ${code}:\n${out.slice(-4000)}`);
    const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    const byMethod = {};
    for (const l of lines) byMethod[l.split(" ")[0]] = (byMethod[l.split(" ")[0]] ?? 0) + 1;
    return { ms, requests: lines.length, byMethod, mem, out };
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
      await client.delete(p, { project });
    }),
  );
}

/** Create and start N containers in parallel: one POST with start=true each (Incus's own fastest way). */
async function restDeploy(project, names) {
  await Promise.all(
    names.map((name) => client.post("/1.0/instances", { name, type: "container", source: { type: "image", alias: IMAGE }, start: true }, { project })),
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

/** results[label][column] = list of runs (one per round) */
const results = new Map();
function record(label, column, run) {
  if (!results.has(label)) results.set(label, {});
  const row = results.get(label);
  (row[column] ??= []).push(run);
}

/** up, no-change up, preview, refresh, destroy of one stack, recorded under `<what>` rows. */
async function lifecycle(stack, column, what, check) {
  record(`up, ${what}`, column, await stack.run("up", "--yes", "--skip-preview"));
  if (check) await check("up");
  const noop = await stack.run("up", "--yes", "--skip-preview");
  // A no-change up that changed something would make the figure meaningless: say so.
  const summary = /Resources:[\s\S]*?(?:\n\s*\n|$)/.exec(noop.out)?.[0].replace(/\s+/g, " ").trim();
  if (!summary || /\d+ (to )?(created|updated|replaced|deleted|create|update|replace|delete)/.test(summary)) {
    console.log(`warning: the no-change up of ${what} (${column}) reported: ${summary ?? noop.out.slice(-400)}`);
  }
  record(`no-change up, ${what}`, column, noop);
  record(`no-change preview, ${what}`, column, await stack.run("preview"));
  record(`refresh, ${what}`, column, await stack.run("refresh", "--yes", "--skip-preview"));
  record(`destroy, ${what}`, column, await stack.run("destroy", "--yes", "--skip-preview"));
  if (check) await check("destroy");
}

async function round(r) {
  const empty = new Stack("bench-empty", `be${r}-${SUFFIX}`);
  await empty.init({});
  record("engine fixed cost: up", "empty", await empty.run("up", "--yes", "--skip-preview"));
  record("engine fixed cost: destroy", "empty", await empty.run("destroy", "--yes", "--skip-preview"));

  for (const n of SIZES) {
    const what = `${n} containers`;
    const project = `bench-${SUFFIX}-${r}c${n}`;
    await createProject(project, { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" });
    const names = Array.from({ length: n }, (_, i) => `r${i}`);
    record(`up, ${what}`, "raw", await timed(() => restDeploy(project, names)));
    if ((await running(project)) !== n) throw new Error(`REST: expected ${n} running instances`);
    record(`destroy, ${what}`, "raw", await timed(() => removeInstances(project)));

    const trivial = new Stack("bench-trivial", `bt${r}n${n}-${SUFFIX}`);
    await trivial.init({ count: n, prefix: "t" });
    await lifecycle(trivial, "trivial", what);

    const stack = new Stack("bench-instances", `bi${r}n${n}-${SUFFIX}`);
    await stack.init({ project, count: n, image: IMAGE, prefix: "p" });
    await lifecycle(stack, "incus", what, async (step) => {
      if (step === "up" && (await running(project)) !== n) throw new Error(`pulumi: expected ${n} running instances`);
      if (step === "destroy" && (await listInstances(project)).length !== 0) throw new Error("pulumi destroy left instances");
    });
  }

  if (PROFILES > 0) {
    const what = `${PROFILES} profiles`;
    const project = `bench-${SUFFIX}-${r}p`;
    await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "false" });
    if (!SIZES.includes(PROFILES)) {
      const trivial = new Stack("bench-trivial", `bt${r}n${PROFILES}-${SUFFIX}`);
      await trivial.init({ count: PROFILES, prefix: "t" });
      await lifecycle(trivial, "trivial", `${PROFILES} resources`);
    }
    const stack = new Stack("bench-profiles", `bp${r}-${SUFFIX}`);
    await stack.init({ project, count: PROFILES, prefix: "bp" });
    await lifecycle(stack, "incus", what, async (step) => {
      const live = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith("bp-")).length;
      if (live !== (step === "up" ? PROFILES : 0)) throw new Error(`after ${step}: ${live} profiles`);
    });
  }
}

/** The mixed stack: up, no-change up, preview, refresh and destroy, with what the daemon has after up and destroy. */
async function mixed(r) {
  const what = `${MIXED} mixed`;
  const project = `bench-${SUFFIX}-${r}m`;
  await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "true" });
  const groups = Math.max(1, Math.floor(MIXED / 4));
  const instances = Math.max(1, MIXED - 2 * groups);
  const stack = new Stack("bench-mixed", `bm${r}-${SUFFIX}`);
  await stack.init({ project, count: MIXED, image: IMAGE });
  await lifecycle(stack, "incus", what, async (step) => {
    const up = step === "up";
    const profiles = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith("mp-")).length;
    const volumes = (await client.list("/1.0/storage-pools/default/volumes/custom", { project })).length;
    const live = up ? await running(project) : (await listInstances(project)).length;
    const want = up ? [groups, groups, instances] : [0, 0, 0];
    if (`${[profiles, volumes, live]}` !== `${want}`)
      throw new Error(`after ${step}: profiles, volumes, running instances = ${[profiles, volumes, live]}, expected ${want}`);
  });
}

// ---- reporting ------------------------------------------------------------------------------------------------------

const sec = (ms) => (ms / 1000).toFixed(2);
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const best = (runs) => (runs?.length ? Math.min(...runs.map((x) => x.ms)) : undefined);
const cell = (runs) => (runs?.length ? runs.map((x) => sec(x.ms)).join(" / ") : "—");
const reqs = (r) =>
  r.requests === undefined
    ? ""
    : `${r.requests} (${
        Object.entries(r.byMethod)
          .sort()
          .map(([m, n]) => `${m} ${n}`)
          .join(", ") || "none"
      })`;

function loadavg() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
}

function report() {
  const get = (label, column) => results.get(label)?.[column];
  const labels = [...results.keys()];
  console.log(`\nWall time in seconds, one figure per round (${ROUNDS}); ratios use the best of each column.`);
  const w = Math.max(...labels.map((l) => l.length)) + 2;
  console.log(`${"case".padEnd(w)}${"raw floor".padEnd(16)}${"trivial".padEnd(16)}${"pulumi-incus".padEnd(16)}requests to Incus (pulumi-incus, last round)`);
  for (const label of labels) {
    const incus = get(label, "incus");
    const last = incus?.[incus.length - 1];
    const col = (c) => cell(get(label, c)).padEnd(16);
    const raw = label.startsWith("engine") ? cell(get(label, "empty")).padEnd(16) : col("raw");
    console.log(`${label.padEnd(w)}${raw}${col("trivial")}${col("incus")}${last ? reqs(last) : ""}`);
  }

  // CPU time is far less disturbed by other load than wall time: it says which process the time goes to.
  const cpu = (run) => {
    if (!run?.mem) return "—";
    const c = (role) => (run.mem.cpuPerRole.get(role) ?? 0).toFixed(1);
    return `${c("pulumi CLI/engine")} ${c("program (node)")} ${c("dynamic provider (node)")}`;
  };
  console.log(`\nCPU seconds by process, last round: engine (pulumi CLI), program (node), dynamic provider (node)`);
  console.log(`${"case".padEnd(w)}${"trivial".padEnd(18)}pulumi-incus`);
  for (const label of labels.filter((l) => !l.startsWith("engine"))) {
    const last = (c) => get(label, c)?.[get(label, c).length - 1];
    console.log(`${label.padEnd(w)}${cpu(last("trivial")).padEnd(18)}${cpu(last("incus"))}`);
  }
  const e = get("engine fixed cost: up", "empty");
  console.log(`${"engine fixed cost: up".padEnd(w)}${cpu(e?.[e.length - 1])}`);

  // The goals of issue 13, each as a ratio.
  const emptyUp = best(get("engine fixed cost: up", "empty"));
  const emptyDestroy = best(get("engine fixed cost: destroy", "empty"));
  const goals = [];
  const vs = (label, base, baseText, limit) => {
    const incus = best(get(label, "incus"));
    if (incus === undefined || base === undefined) return;
    const ratio = incus / base;
    goals.push([label, `${sec(incus)} s vs ${baseText} ${sec(base)} s`, ratio.toFixed(2), `≤ ${limit}`, ratio <= limit ? "met" : "NOT met"]);
  };
  for (const n of SIZES) {
    const raw = best(get(`up, ${n} containers`, "raw"));
    if (raw !== undefined && emptyUp !== undefined) vs(`up, ${n} containers`, raw + emptyUp, "raw + empty", 1.2);
  }
  for (const what of [`30 containers`, `${PROFILES} profiles`, `100 containers`]) {
    const trivialOf = (op) =>
      best(
        get(`${op}, ${what}`, "trivial") ??
          get(`${op}, ${what.replace(/\w+$/, "resources")}`, "trivial") ??
          get(`${op}, ${what.split(" ")[0]} containers`, "trivial"),
      );
    vs(`no-change up, ${what}`, trivialOf("no-change up"), "trivial", 1.2);
    vs(`no-change preview, ${what}`, trivialOf("no-change preview"), "trivial", 1.2);
    vs(`refresh, ${what}`, trivialOf("refresh"), "trivial", 1.2);
  }
  const raw30 = best(get("destroy, 30 containers", "raw"));
  if (raw30 !== undefined && emptyDestroy !== undefined) vs("destroy, 30 containers", raw30 + emptyDestroy, "raw + empty", 1.3);

  console.log(`\nGoals (issue 13)`);
  const gw = Math.max(...goals.map((g) => g[0].length)) + 2;
  for (const g of goals) console.log(`${g[0].padEnd(gw)}${g[1].padEnd(34)}ratio ${g[2].padEnd(6)}${g[3].padEnd(7)}${g[4]}`);

  for (const label of labels.filter((l) => /^refresh, 100 /.test(l))) {
    const runs = get(label, "incus") ?? [];
    const most = Math.max(...runs.map((x) => x.requests));
    console.log(
      `${`${label}: requests`.padEnd(gw)}${`${most} (most of ${runs.length} rounds)`.padEnd(34)}${"".padEnd(12)}${"≤ 20".padEnd(7)}${most <= 20 ? "met" : "NOT met"}`,
    );
  }

  // Peak memory of each process, at the 100-resource stacks.
  console.log(`\nPeak RSS per process at 100 resources and the mixed stack (highest over the runs of each stack)`);
  for (const what of ["100 containers", `${PROFILES} profiles`, "100 resources", `${MIXED} mixed`]) {
    for (const column of ["trivial", "incus"]) {
      const runs = labels.filter((l) => l.endsWith(`, ${what}`)).flatMap((l) => get(l, column) ?? []);
      if (!runs.length) continue;
      const peak = new Map();
      for (const r of runs) for (const [k, v] of r.mem.perRole) peak.set(k, Math.max(peak.get(k) ?? 0, v));
      const shown = [...peak]
        .filter(([, v]) => v > 8 * 1048576)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${mib(v)}`)
        .join(", ");
      const provider = peak.get("dynamic provider (node)");
      const goal =
        column === "incus" && provider !== undefined
          ? `   provider goal < 150 MB (${(provider / 1e6).toFixed(0)} MB): ${provider < 150e6 ? "met" : "NOT met"}`
          : "";
      console.log(`  ${`${what}, ${column}:`.padEnd(28)}${shown}${goal}`);
    }
  }
}

async function main() {
  const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  console.log(
    `pulumi-incus deploy benchmark: pulumi ${version}, node ${process.version}, ${os.cpus().length} CPUs, ` +
      `engine parallelism ${PARALLEL ?? "default (4 × CPUs)"}, image ${IMAGE}, Incus ${(await client.server()).environment?.server_version ?? "?"}`,
  );
  console.log(`load average at start: ${loadavg()}`);
  const t0 = Date.now();
  for (let r = 1; r <= ROUNDS; r++) {
    await round(r);
    if (MIXED > 0) await mixed(r);
    console.log(`round ${r} done after ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()}`);
  }
  report();
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
    fs.rmSync(TMP, { recursive: true, force: true });
  });
