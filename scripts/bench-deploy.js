#!/usr/bin/env node
// What a deployment through Pulumi costs, in figures (run by scripts/bench-deploy.sh, which builds first):
//   (a) N busybox containers (N = 10 and 30 by default): `pulumi up` of examples/bench-instances against the same N
//       through direct parallel REST calls with the project's IncusClient (POST /1.0/instances, then PUT .../state
//       start, every operation waited for). Both create and start, in a project of their own.
//   (b) a stack of 100 profiles (examples/bench-profiles): wall time, requests sent to Incus (PULUMI_INCUS_REQUEST_LOG)
//       and peak memory of the initial `up`, a no-change `up`, a no-change `preview`, `refresh`, and `destroy`.
// Memory: the whole process tree of each `pulumi` command (CLI/engine, language host, program, dynamic provider) is
// sampled from /proc every 100 ms; figures are the peak of the tree's summed RSS and each process's own peak.
// Every run uses its own Incus projects, unique stack names and a temporary file:// backend, and removes all of it.
//
//   BENCH_SIZES=10,30  BENCH_PROFILES=100  BENCH_PARALLEL=<pulumi --parallel>  node scripts/bench-deploy.js
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const { IncusClient, closeAllPools, isNotFound } = require(path.join(REPO, "dist", "provider"));

const SIZES = (process.env.BENCH_SIZES ?? "10,30").split(",").map(Number).filter((n) => n > 0);
const PROFILES = Number(process.env.BENCH_PROFILES ?? 100);
const PARALLEL = process.env.BENCH_PARALLEL;
const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";
const SUFFIX = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-"));
const PAGE = 4096;

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
      table.set(Number(entry), { ppid: Number(fields[1]), rss: Number(fields[21]) * PAGE });
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
    return { peakTotal, perRole };
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

class Stack {
  constructor(example, name) {
    this.dir = path.join(REPO, "examples", example);
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

// ---- direct REST ------------------------------------------------------------------------------------------------

async function createProject(name, config) {
  await client.post("/1.0/projects", { name, description: "pulumi-incus benchmark (temporary)", config }, { project: null });
  cleanups.push(async () => {
    // Normally empty by now; after a failure, whatever a run left behind goes with the project.
    await removeInstances(name);
    if (config["features.profiles"] === "true") {
      const profiles = await client.list("/1.0/profiles", { project: name }).catch(() => []);
      for (const p of profiles) if (p.name !== "default") await client.delete(`/1.0/profiles/${encodeURIComponent(p.name)}`, { project: name });
    }
    await client.delete(`/1.0/projects/${encodeURIComponent(name)}`, { project: null }).catch((e) => {
      if (!isNotFound(e)) console.error(`cleanup: project ${name}: ${e.message}`);
    });
  });
}

async function listInstances(project) {
  return client.list("/1.0/instances", { project });
}

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

async function restDeploy(project, names) {
  await Promise.all(
    names.map(async (name) => {
      await client.post("/1.0/instances", { name, type: "container", source: { type: "image", alias: IMAGE }, start: false }, { project });
      await client.put(`/1.0/instances/${name}/state`, { action: "start" }, { project });
    }),
  );
}

// ---- reporting --------------------------------------------------------------------------------------------------

const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;
const reqs = (r) =>
  `${r.requests} requests (${Object.entries(r.byMethod)
    .sort()
    .map(([m, n]) => `${m} ${n}`)
    .join(", ") || "none"})`;
const memLine = (r) =>
  `peak RSS ${mib(r.mem.peakTotal)} (tree); ` +
  [...r.mem.perRole]
    .filter(([, v]) => v > 8 * 1048576)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${mib(v)}`)
    .join(", ");

async function running(project) {
  return (await listInstances(project)).filter((i) => i.status === "Running").length;
}

async function instancesBench(n) {
  const project = `bench-${SUFFIX}-${n}`;
  await createProject(project, { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" });

  // Direct REST first, then the same through Pulumi, each from an empty project.
  const names = Array.from({ length: n }, (_, i) => `r${i}`);
  let t0 = process.hrtime.bigint();
  await restDeploy(project, names);
  const restMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if ((await running(project)) !== n) throw new Error(`REST: expected ${n} running instances`);
  t0 = process.hrtime.bigint();
  await removeInstances(project);
  const restDeleteMs = Number(process.hrtime.bigint() - t0) / 1e6;

  const stack = new Stack("bench-instances", `bi${n}-${SUFFIX}`);
  await stack.init({ project, count: n, image: IMAGE, prefix: "p" });
  const up = await stack.run("up", "--yes", "--skip-preview");
  if ((await running(project)) !== n) throw new Error(`pulumi: expected ${n} running instances`);
  const noop = await stack.run("up", "--yes", "--skip-preview");
  const destroy = await stack.run("destroy", "--yes", "--skip-preview");
  if ((await listInstances(project)).length !== 0) throw new Error("pulumi destroy left instances");

  console.log(`\n(a) ${n} busybox containers (create + start), project ${project}`);
  console.log(`    direct REST, all in parallel:  ${sec(restMs)}   (force-stop + delete: ${sec(restDeleteMs)}; bench process max RSS so far ${mib(process.resourceUsage().maxRSS * 1024)})`);
  console.log(`    pulumi up --skip-preview:      ${sec(up.ms)}   ${reqs(up)}`);
  console.log(`                                   ${memLine(up)}`);
  console.log(`    ratio pulumi / REST:           ${(up.ms / restMs).toFixed(2)}x   (difference ${sec(up.ms - restMs)})`);
  console.log(`    no-change pulumi up:           ${sec(noop.ms)}   ${reqs(noop)}`);
  console.log(`    pulumi destroy:                ${sec(destroy.ms)}   ${reqs(destroy)}`);
}

async function profilesBench(count) {
  const project = `bench-${SUFFIX}-p`;
  await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "false" });
  const stack = new Stack("bench-profiles", `bp-${SUFFIX}`);
  await stack.init({ project, count, prefix: "bp" });
  const rows = [];
  rows.push(["up (create)", await stack.run("up", "--yes", "--skip-preview")]);
  const live = await client.list("/1.0/profiles", { project });
  if (live.filter((p) => p.name.startsWith("bp-")).length !== count) throw new Error(`expected ${count} profiles`);
  rows.push(["up, no change", await stack.run("up", "--yes", "--skip-preview")]);
  rows.push(["preview, no change", await stack.run("preview")]);
  rows.push(["refresh", await stack.run("refresh", "--yes", "--skip-preview")]);
  rows.push(["destroy", await stack.run("destroy", "--yes", "--skip-preview")]);
  console.log(`\n(b) a stack of ${count} profiles (+ the stack resource), project ${project}`);
  for (const [label, r] of rows) {
    console.log(`    ${label.padEnd(20)} ${sec(r.ms).padStart(8)}   ${reqs(r)}`);
    console.log(`    ${"".padEnd(20)} ${"".padStart(8)}   ${memLine(r)}`);
  }
  const changes = /Resources:[\s\S]*?(?:\n\s*\n|$)/.exec(rows[1][1].out);
  if (changes) console.log(`    no-change up reported: ${changes[0].replace(/\s+/g, " ").trim()}`);
}

async function main() {
  const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  console.log(`pulumi-incus deploy benchmark: pulumi ${version}, node ${process.version}, ${os.cpus().length} CPUs, ` +
    `engine parallelism ${PARALLEL ?? "default (8)"}, image ${IMAGE}, Incus ${(await client.server()).environment?.server_version ?? "?"}`);
  for (const n of SIZES) await instancesBench(n);
  if (PROFILES > 0) await profilesBench(PROFILES);
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
