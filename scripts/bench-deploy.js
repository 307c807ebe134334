#!/usr/bin/env node
// What a deployment through Pulumi costs, side by side in one run (run by scripts/bench-deploy.sh, which builds first).
// Columns of every case (issues 13 and 28):
//   raw floor     the same work through direct parallel REST calls with the project's IncusClient (what Incus itself
//                 needs: create+start of N busybox containers, force-stop+delete of them; N profile POSTs, N DELETEs);
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
const { execFileSync } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");
const { cases, results } = require("./bench-cases");
const { IMAGE } = require("./bench-floor");
const { report } = require("./bench-report");
const { REPO, cleanUp, loadavg, state, stopOnSignals } = require("./bench-stack");

const { IncusClient, closeAllPools } = require(path.join(REPO, "dist", "provider"));

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
const SUFFIX = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(REPO, ".state", "bench"));

let daemon; // the private incusd, when used

/** A private incusd (the fault suite's fixture), so thousands of objects never load the daemon others test against. */
async function privateDaemon() {
  require("tsx/cjs"); // the fixture is TypeScript
  const { FaultDaemon } = require(path.join(REPO, "tests", "faults", "daemon.ts"));
  // BENCH_DAEMON_TAG: its directory's name, so two benchmarks can run side by side.
  daemon = new FaultDaemon(process.env.BENCH_DAEMON_TAG ?? "deploy", { root: "/var/lib/pulumi-incus-bench" });
  await daemon.create();
  process.env.INCUS_SOCKET = daemon.socket; // this process's client and every provider the CLI starts
}

async function main() {
  if (process.env.BENCH_DAEMON !== "shared") await privateDaemon();
  const client = new IncusClient();
  const { round } = cases(client, { sizes: SIZES, profiles: PROFILES, mixed: MIXED, modes: MODES, yaml: YAML, suffix: SUFFIX });
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
  stopOnSignals();
  let done = 0;
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      await round(r);
      done = r;
      console.log(`round ${r} done after ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()}`);
      loads.push(`after round ${r} ${loadavg()}`);
    }
  } catch (err) {
    console.error(`benchmark stopped in round ${done + 1}: ${state.stopping ? "interrupted" : (err.stack ?? err)}`);
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
    await cleanUp();
    await closeAllPools();
    if (daemon) await daemon.destroy().catch((e) => console.error(`cleanup: the private daemon: ${e.message}`));
    process.exit(); // the TypeScript loader's esbuild service would keep the process alive
  });
