// The tables, goals and plot of scripts/bench-deploy.js. Every figure is the median of the rounds, with the spread
// (lowest–highest) beside it; ratios use medians. The plot (time per object against N, one panel per operation, a
// line per path) is drawn with gnuplot (scripts/setup-gnuplot.sh, Debian's gnuplot-nox), as PNG files in `out`.
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const OPS = ["up", "no-change up", "preview", "refresh", "destroy"];
const COLUMNS = { raw: "raw floor", empty: "empty", trivial: "trivial", incus: "pulumi-incus", yaml: "YAML" };
const MIB = 1048576;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = (runs) => (runs?.length ? median(runs.map((r) => r.ms)) : undefined);
const sec = (ms) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const cell = (runs) => {
  if (!runs?.length) return "—";
  const ms = runs.map((r) => r.ms);
  return runs.length === 1 ? sec(ms[0]) : `${sec(median(ms))} (${sec(Math.min(...ms))}–${sec(Math.max(...ms))})`;
};
const reqs = (r) =>
  r?.requests === undefined
    ? ""
    : `${r.requests}: ${
        Object.entries(r.byMethod)
          .sort()
          .map(([m, n]) => `${m} ${n}`)
          .join(", ") || "none"
      }${r.lists ? `, ${r.lists} lists` : ""}`;
const modeName = (mode) => ({ default: "default parallelism", parallel: "--parallel ≥ N", nockpt: "--parallel ≥ N, PULUMI_SKIP_CHECKPOINTS" })[mode] ?? mode;

/**
 * Prints the tables and draws the plot. `title`: what ran, above the first table; `plotName`: the plot files' prefix
 * (per-object by default).
 */
function report(results, { rounds, commit, loads, out, sizes, profiles, mixed, title, plotName = "per-object" }) {
  const rows = [...results.entries()];
  const find = (op, what, mode) => [...results.values()].find((c) => c.op === op && c.what === what && c.mode === mode);
  const col = (op, what, mode, column) => find(op, what, mode)?.columns[column];
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;

  if (title) console.log(`\n${title}`);
  console.log(`\nWall time in seconds: median of ${rounds} round(s) (lowest–highest). Commit ${commit}; load average ${loads.join("; ")}.`);
  const used = Object.keys(COLUMNS).filter((c) => rows.some(([, r]) => r.columns[c]));
  console.log(`${"case".padEnd(w)}${used.map((c) => COLUMNS[c].padEnd(24)).join("")}requests to Incus, last round (pulumi-incus | YAML)`);
  for (const [key, row] of rows) {
    const last = (c) => row.columns[c]?.[row.columns[c].length - 1];
    const r = [reqs(last("incus")), reqs(last("yaml"))].filter(Boolean).join(" | ");
    console.log(`${key.padEnd(w)}${used.map((c) => cell(row.columns[c]).padEnd(24)).join("")}${r}`);
  }

  // CPU time is far less disturbed by other load than wall time: it says which process the time goes to.
  const cpu = (run) => {
    if (!run?.mem) return "—";
    const c = (...roles) => roles.reduce((s, role) => s + (run.mem.cpuPerRole.get(role) ?? 0), 0).toFixed(1);
    return `${c("pulumi CLI/engine")} ${c("program (node)", "language host")} ${c("dynamic provider (node)", "incus plugin (node)")}`;
  };
  console.log(`\nCPU seconds by process, last round: engine (pulumi CLI), program (node or YAML host), provider (node)`);
  console.log(`${"case".padEnd(w)}${"trivial".padEnd(18)}${"pulumi-incus".padEnd(18)}YAML`);
  for (const [key, row] of rows) {
    const last = (c) => row.columns[c]?.[row.columns[c].length - 1];
    console.log(`${key.padEnd(w)}${cpu(last("trivial")).padEnd(18)}${cpu(last("incus")).padEnd(18)}${cpu(last("yaml"))}`);
  }

  // Time per object, N side by side: flat cost means equal figures across a row.
  const series = perObject(results);
  console.log(`\nTime per object in ms (median over rounds), by N; last column: largest N against N=100`);
  for (const [mode, byName] of series) {
    const ns = [...new Set([...byName.values()].flatMap((pts) => pts.map((p) => p.n)))].sort((a, b) => a - b);
    console.log(`  ${modeName(mode)}`);
    const vs100 = ns.includes(100) && ns[ns.length - 1] > 100 ? `N=${ns[ns.length - 1]} / N=100` : "";
    console.log(`  ${"path, operation".padEnd(42)}${ns.map((n) => `N=${n}`.padEnd(10)).join("")}${vs100}`);
    for (const [name, pts] of byName) {
      const at = (n) => pts.find((p) => p.n === n)?.ms;
      const r = at(100) && at(ns[ns.length - 1]) && ns[ns.length - 1] !== 100 ? (at(ns[ns.length - 1]) / at(100)).toFixed(2) : "";
      console.log(`  ${name.padEnd(42)}${ns.map((n) => (at(n) === undefined ? "—" : at(n).toFixed(0)).padEnd(10)).join("")}${r}`);
    }
  }

  // The goals of issue 28, each as a ratio of medians.
  const goals = [];
  const goal = (label, value, base, baseText, limit) => {
    if (value === undefined || base === undefined) return;
    const ratio = value / base;
    goals.push([label, `${sec(value)} s vs ${baseText} ${sec(base)} s`, ratio.toFixed(2), `≤ ${limit}`, ratio <= limit ? "met" : "NOT met"]);
  };
  const emptyUp = med(col("up", "no resources", "default", "empty"));
  const emptyDestroy = med(col("destroy", "no resources", "default", "empty"));
  for (const c of results.values()) {
    if (c.what.endsWith("resources") || c.what === "no resources") continue;
    const trivial = med(col(c.op, `${c.n} resources`, c.mode, "trivial"));
    const key = `${c.op}, ${c.what}${c.mode === "default" ? "" : ` [${c.mode}]`}`;
    const raw = med(col(c.op, c.what, "default", "raw"));
    // Up and destroy beside their raw floor: against floor + empty (where Incus itself is the limit); profiles against
    // trivial too (the goal of issue 28 for them), containers against the floor only.
    const empty = c.op === "up" ? emptyUp : c.op === "destroy" ? emptyDestroy : undefined;
    const floored = raw !== undefined && empty !== undefined;
    if (floored) goal(key, med(c.columns.incus), raw + empty, "raw + empty", 1.2);
    if (!floored || !c.what.endsWith("containers")) goal(key, med(c.columns.incus), trivial, "trivial", 1.2);
    if (c.columns.yaml) goal(`${key}, YAML against TS`, med(c.columns.yaml), med(c.columns.incus), "TS", 1.0);
  }
  for (const [mode, byName] of series)
    for (const [name, pts] of byName) {
      const a = pts.find((p) => p.n === 100);
      const b = pts[pts.length - 1];
      if (a && b.n > 100 && !name.startsWith("trivial")) goal(`per object flat: ${name}${mode === "default" ? "" : ` [${mode}]`}`, b.ms, a.ms, "at N=100", 1.2);
    }
  console.log(`\nGoals (issue 28), ratios of medians; time per object compares ms, printed as s/1000`);
  const gw = Math.max(...goals.map((g) => g[0].length)) + 2;
  for (const g of goals) console.log(`${g[0].padEnd(gw)}${g[1].padEnd(40)}ratio ${g[2].padEnd(6)}${g[3].padEnd(7)}${g[4]}`);

  // Requests of the read-only steps: only GETs, about one list per kind and project.
  console.log(`\nRequests of read-only steps (every round): writes, GETs, lists`);
  for (const c of results.values())
    for (const column of ["incus", "yaml"]) {
      if (!["no-change up", "preview", "refresh"].includes(c.op) || !c.columns[column]) continue;
      const runs = c.columns[column];
      const writes = Math.max(...runs.map((r) => r.requests - (r.byMethod.GET ?? 0)));
      const gets = runs.map((r) => r.byMethod.GET ?? 0).join("/");
      const lists = runs.map((r) => r.lists).join("/");
      console.log(
        `  ${`${c.op}, ${c.what}${c.mode === "default" ? "" : ` [${c.mode}]`} (${COLUMNS[column]})`.padEnd(gw)}writes ${writes}, GETs ${gets}, lists ${lists}`,
      );
    }

  // Peak memory of each process at each size of the profile and mixed stacks.
  console.log(
    `\nPeak RSS per process (highest over every run of the stack); goals at the largest N: provider ≤ trivial provider + 30 MiB, program ≤ 1.2 × trivial program`,
  );
  const peak = (what, mode, column) => {
    const runs = [...results.values()].filter((c) => c.what === what && c.mode === mode).flatMap((c) => c.columns[column] ?? []);
    const p = new Map();
    for (const r of runs) for (const [k, v] of r.mem?.perRole ?? []) p.set(k, Math.max(p.get(k) ?? 0, v));
    return runs.length ? p : undefined;
  };
  const modes = [...new Set([...results.values()].map((c) => c.mode))];
  for (const mode of modes)
    for (const what of [...profiles.map((n) => `${n} profiles`), ...sizes.map((n) => `${n} containers`), ...(mixed > 0 ? [`${mixed} mixed`] : [])]) {
      const t = peak(`${parseInt(what, 10)} resources`, mode, "trivial");
      if (!peak(what, mode, "incus")) continue;
      for (const [column, p] of [
        ["trivial", t],
        ["incus", peak(what, mode, "incus")],
        ["yaml", peak(what, mode, "yaml")],
      ]) {
        if (!p) continue;
        const shown = [...p]
          .filter(([, v]) => v > 8 * MIB)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${(v / MIB).toFixed(0)} MiB`)
          .join(", ");
        let verdict = "";
        if (column !== "trivial" && t) {
          const prov = p.get("dynamic provider (node)") ?? p.get("incus plugin (node)");
          const tprov = t.get("dynamic provider (node)");
          const prog = p.get("program (node)") ?? p.get("language host");
          const tprog = t.get("program (node)");
          if (prov && tprov) verdict += `  provider +${((prov - tprov) / MIB).toFixed(0)} MiB: ${prov - tprov <= 30 * MIB ? "met" : "NOT met"}`;
          if (prog && tprog && column === "incus") verdict += `; program ×${(prog / tprog).toFixed(2)}: ${prog <= 1.2 * tprog ? "met" : "NOT met"}`;
        }
        console.log(`  ${`${what}${mode === "default" ? "" : ` [${mode}]`}, ${COLUMNS[column]}:`.padEnd(40)}${shown}${verdict}`);
      }
    }

  plot(series, out, plotName, title);
}

/** mode → (path and operation → [{ n, ms per object }]) */
function perObject(results) {
  const series = new Map();
  const kindOf = (what) => (what.endsWith("resources") ? "" : what.replace(/^\d+ /, " "));
  for (const c of results.values()) {
    if (c.n === 0 || c.what.endsWith("mixed")) continue;
    for (const [column, runs] of Object.entries(c.columns)) {
      if (column === "empty") continue;
      const name = `${COLUMNS[column]}${kindOf(c.what)}, ${c.op}`;
      if (!series.has(c.mode)) series.set(c.mode, new Map());
      const byName = series.get(c.mode);
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push({ n: c.n, ms: med(runs) / c.n });
    }
  }
  for (const byName of series.values()) for (const pts of byName.values()) pts.sort((a, b) => a.n - b.n);
  return series;
}

/** One PNG per mode: a panel per operation, time per object against N (log scale), a line per path. */
function plot(series, out, name = "per-object", title) {
  let gnuplot;
  try {
    gnuplot = execFileSync("bash", [path.join(__dirname, "setup-gnuplot.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  } catch {
    console.log("\nno plot: gnuplot could not be set up (scripts/setup-gnuplot.sh)");
    return;
  }
  fs.mkdirSync(out, { recursive: true });
  // One colour and point shape per path, the same in every panel and file.
  const paths = [...new Set([...series.values()].flatMap((byName) => [...byName.keys()].map((name) => name.replace(/, [^,]+$/, ""))))];
  for (const [mode, byName] of series) {
    const file = path.join(out, `${name}-${mode}.png`);
    const lines = ["set terminal pngcairo size 1500,900 font ',10' noenhanced", `set output '${file}'`];
    lines.push(`set multiplot layout 2,3 title 'pulumi-incus${title ? `, ${title}` : ""}: time per object against N (${modeName(mode)}; medians)'`);
    lines.push(
      "set logscale x",
      "set xlabel 'N (objects in the stack, log scale)' offset 0,0.5",
      "set ylabel 'ms per object'",
      "set key below",
      "set grid",
      "set yrange [0:*]",
    );
    for (const op of OPS) {
      const named = [...byName].filter(([name]) => name.endsWith(`, ${op}`));
      if (!named.length) continue;
      lines.push(`set title '${op}'`);
      const data = named.map(([, pts], i) => `$d${i} << EOD\n${pts.map((p) => `${p.n} ${p.ms.toFixed(2)}`).join("\n")}\nEOD`);
      lines.push(...data);
      const plots = named.map(([name], i) => {
        const p = name.replace(`, ${op}`, "");
        const k = paths.indexOf(p) + 1;
        return `$d${i} using 1:2 with linespoints lw 2 lc ${k} pt ${k} ps 1.5 title '${p}'`;
      });
      lines.push(`plot ${plots.join(", ")}`);
    }
    lines.push("unset multiplot");
    execFileSync(gnuplot, [], { input: lines.join("\n") });
    console.log(`\nplot: ${file}`);
  }
}

module.exports = { report, plot };
