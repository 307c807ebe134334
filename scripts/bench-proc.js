// Memory and CPU of a process tree, sampled from /proc every 100 ms (used by scripts/bench-deploy.js): each process's
// own peak RSS by its role (engine, language host, program, provider), and the CPU seconds of each role.
const fs = require("node:fs");
const path = require("node:path");

const PAGE = 4096;
const TICKS = 100; // USER_HZ on Linux

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
  if (/pulumi-language-(nodejs|yaml)/.test(cmd)) return "language host";
  if (/pulumi-resource-pulumi-nodejs|dynamic-provider/.test(cmd)) return "dynamic provider (node)";
  if (/plugin\/main\.js/.test(cmd)) return "incus plugin (node)"; // the YAML path's provider
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

module.exports = { sampleTree };
