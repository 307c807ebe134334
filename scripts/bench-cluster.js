#!/usr/bin/env node
// The cluster case of issue 28 (run by scripts/bench-cluster.sh): N busybox containers (examples/bench-instances,
// installed from the packed package) spread over cluster groups on a private 3-member cluster (tests/cluster/cluster.ts
// on 127.0.50.2-4, folder /var/lib/pulumi-incus-cluster/pi-bench-cluster; BENCH_CLUSTER_NET / BENCH_CLUSTER_TAG change them). The benchmark makes one group per member
// (pb-g1 … holding member 1 …) and the i-th instance goes to `@pb-g<(i mod 3)+1>`, as `targets` tells the program.
// Columns, each through member 1's unix socket:
//   raw floor     the same creates (POST /1.0/instances?target=@<group>, start=true) and force-stop+deletes, all in
//                 parallel, on the same cluster;
//   empty         `pulumi up` / `destroy` of a program with no resources (the engine's fixed cost);
//   pulumi-incus  `pulumi up` and `destroy` of the stack, in each engine mode (BENCH_MODES: `default` parallelism,
//                 `parallel` = --parallel ≥ N; `nockpt` adds PULUMI_SKIP_CHECKPOINTS=true).
// After every up it checks that N instances run, N/3 on each member; after every destroy, that none is left. A
// command that fails is reported (its error's first line) and its leftovers removed; the round goes on.
// BENCH_ROUNDS rounds (default 3), interleaved; figures: median and spread (scripts/bench-report.js, the same table,
// goals and plot as scripts/bench-deploy.js). Asserts nothing; the cluster is stopped by PID at the end.
//
//   BENCH_SIZES=300  BENCH_ROUNDS=3  BENCH_MODES=default,parallel  BENCH_OPS=  (e.g. "no-change up,preview,refresh")
//   BENCH_OUT=<dir for the plot>  BENCH_TARBALL=<a packed pulumi-incus>
//   BENCH_CLUSTER_NET=50  BENCH_CLUSTER_TAG=pi-bench-cluster   node scripts/bench-cluster.js
const { execFileSync } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");
const { lifecycle, record, results } = require("./bench-cases");
const { IMAGE, floor, timed } = require("./bench-floor");
const { report } = require("./bench-report");
const { REPO, cleanUp, cleanups, loadavg, programDir, Stack, state, stopOnSignals } = require("./bench-stack");

const { IncusClient, closeAllPools } = require(path.join(REPO, "dist", "provider"));
require("tsx/cjs"); // the cluster fixture is TypeScript
const { ClusterDaemons } = require(path.join(REPO, "tests", "cluster", "cluster.ts"));

const SIZES = (process.env.BENCH_SIZES ?? "300")
  .split(",")
  .map(Number)
  .filter((n) => n > 0);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const MODES = (process.env.BENCH_MODES ?? "default,parallel").split(",").filter(Boolean);
const OPS = (process.env.BENCH_OPS ?? "").split(",").filter(Boolean);
const OUT = path.resolve(process.env.BENCH_OUT ?? path.join(REPO, ".state", "bench"));
// BENCH_CLUSTER_NET / BENCH_CLUSTER_TAG: another address range 127.0.<net>.2-4 and folder/member names, so two
// people's cluster benchmarks on one machine do not clash (tests/cluster/cluster.ts lists who uses which range).
const NET = Number(process.env.BENCH_CLUSTER_NET ?? 50);
if (!Number.isInteger(NET) || NET < 1 || NET > 254) throw new Error(`BENCH_CLUSTER_NET=${process.env.BENCH_CLUSTER_NET}: a number 1-254`);
const TAG = process.env.BENCH_CLUSTER_TAG ?? "pi-bench-cluster";
const SUFFIX = `${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 1296).toString(36)}`;
const cluster = new ClusterDaemons(TAG, NET);
const groups = cluster.members.map((_, i) => `pb-g${i + 1}`);
const targets = groups.map((g) => `@${g}`);
const failures = [];

/** Where the project's instances are: member name → how many (running ones only, when `runningOnly`). */
async function placement(client, project, runningOnly) {
  const by = {};
  for (const i of await client.list("/1.0/instances", { project })) if (!runningOnly || i.status === "Running") by[i.location] = (by[i.location] ?? 0) + 1;
  return by;
}

/** Throws unless the project holds `n` running instances, spread evenly over the members (0: none at all). */
async function expectSpread(client, project, n, who) {
  const by = await placement(client, project, n > 0);
  const want = Object.fromEntries(cluster.members.map((m, i) => [m.name, Math.floor(n / 3) + (i < n % 3 ? 1 : 0)]));
  const got = Object.fromEntries(cluster.members.map((m) => [m.name, by[m.name] ?? 0]));
  if (n === 0 ? Object.keys(by).length : JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${who}: instances per member ${JSON.stringify(got)}, expected ${JSON.stringify(n ? want : {})}`);
}

async function round(client, r) {
  const { createProject, removeInstances, restDeploy } = floor(client);
  const empty = new Stack(programDir("bench-empty"), `ce${r}-${SUFFIX}`);
  await empty.init({});
  record("up", "no resources", 0, "default", "empty", await empty.run("up", "--yes", "--skip-preview"));
  record("destroy", "no resources", 0, "default", "empty", await empty.run("destroy", "--yes", "--skip-preview"));
  for (const n of SIZES) {
    const what = `${n} containers`;
    const project = `bench-${SUFFIX}-${r}c${n}`;
    await createProject(project, { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" });
    const names = Array.from({ length: n }, (_, i) => `r${i}`);
    record("up", what, n, "default", "raw", await timed(() => restDeploy(project, names, (i) => targets[i % targets.length])));
    await expectSpread(client, project, n, "raw floor, after the creates");
    record("destroy", what, n, "default", "raw", await timed(() => removeInstances(project)));
    await expectSpread(client, project, 0, "raw floor, after the deletes");
    for (const mode of MODES) {
      const stack = new Stack(programDir("bench-instances"), `ci${r}${mode[0]}n${n}-${SUFFIX}`, mode, n);
      await stack.init({ project, count: n, image: IMAGE, prefix: `p${mode[0]}`, targets: targets.join(",") });
      try {
        await lifecycle(stack, "incus", what, n, mode, (step) => expectSpread(client, project, step === "up" ? n : 0, `pulumi ${step}`), OPS);
      } catch (err) {
        if (state.stopping) throw err;
        // Pulumi's summary says "N errors occurred"; the resources' own errors say why (the first, and how many).
        const lines = String(err.message).split("\n");
        const own = lines.filter((l) => /^\s*(\* |error: )/.test(l) && !/errors? occurred/.test(l)).map((l) => l.trim());
        const first = own[0] ?? lines.find((l) => /error|expected/i.test(l)) ?? lines[0];
        const more = own.length > 1 ? ` (and ${own.length - 1} more error lines)` : "";
        failures.push(
          `round ${r}, ${what}, ${mode}: ${first.slice(0, 400)}${more} (instances per member then: ${JSON.stringify(await placement(client, project))})`,
        );
        console.log(`failed: ${failures[failures.length - 1]}`);
        await stack.run("destroy", "--yes", "--skip-preview").catch(() => undefined);
        await removeInstances(project);
      }
    }
  }
}

async function main() {
  const formed = Date.now();
  cleanups.push(() => cluster.destroy());
  await cluster.create();
  const m1 = cluster.member(1).daemon.socket;
  process.env.INCUS_SOCKET = m1; // this process's client and every provider the CLI starts
  const client = new IncusClient();
  for (const [i, g] of groups.entries()) {
    await client.post("/1.0/cluster/groups", { name: g, description: "pulumi-incus benchmark", members: [cluster.members[i].name] }, { project: null });
  }
  const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  let commit = "?";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim();
  } catch {}
  console.log(
    `pulumi-incus cluster benchmark at ${commit}: pulumi ${version}, node ${process.version}, ${os.cpus().length} CPUs, ` +
      `${cluster.members.length}-member cluster (127.0.${NET}.x) formed in ${((Date.now() - formed) / 1000).toFixed(1)} s, ` +
      `Incus ${(await client.server()).environment?.server_version ?? "?"}, groups ${groups.join(", ")}, modes ${MODES.join(", ")}`,
  );
  const loads = [`start ${loadavg()}`];
  const t0 = Date.now();
  stopOnSignals();
  let done = 0;
  try {
    for (let r = 1; r <= ROUNDS; r++) {
      await round(client, r);
      done = r;
      console.log(`round ${r} done after ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()}`);
      loads.push(`after round ${r} ${loadavg()}`);
    }
  } catch (err) {
    console.error(`benchmark stopped in round ${done + 1}: ${state.stopping ? "interrupted" : (err.stack ?? err)}`);
    process.exitCode = 1;
    loads.push(`when stopped ${loadavg()}`);
  }
  const title = `${cluster.members.length}-member cluster, containers spread over ${groups.length} groups (target @<group>)`;
  if (results.size) report(results, { rounds: done, commit, loads, out: OUT, sizes: SIZES, profiles: [], mixed: 0, title, plotName: "cluster" });
  if (failures.length) console.log(`\nFailed commands (not in the figures above):\n${failures.map((f) => `  ${f}`).join("\n")}`);
}

main()
  .catch((err) => {
    console.error(`benchmark failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanUp(); // stacks, projects, then the cluster (stopped by PID, its folder removed)
    await closeAllPools();
    process.exit(); // the TypeScript loader's esbuild service would keep the process alive
  });
