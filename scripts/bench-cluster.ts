// scripts/bench-cluster.sh's worker: one program directory (examples/bench-instances, installed from the packed
// tarball), one file backend, one stack per target: a standalone private incusd, then a private 3-member cluster.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClusterDaemons } from "../tests/cluster/cluster";
import { cliSession, installedProgram } from "../tests/e2e/harness";
import { FaultDaemon, RUN } from "../tests/faults/daemon";

const COUNT = Number(process.env.BENCH_COUNT ?? 30);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-cluster-"));
const { env, run } = cliSession(work);
const requestLog = env.PULUMI_INCUS_REQUEST_LOG;
const app = installedProgram("bench-instances", "examples");

interface Row {
  label: string;
  figures: string[];
}

/** Seconds and requests (all, and writes) of one pulumi command. */
function measure(stack: string, args: string[]): string {
  if (fs.existsSync(requestLog)) fs.truncateSync(requestLog, 0);
  const started = Date.now();
  run("pulumi", [...args, "--stack", stack, "--non-interactive"], app);
  const seconds = (Date.now() - started) / 1000;
  const lines = fs.existsSync(requestLog) ? fs.readFileSync(requestLog, "utf8").split("\n").filter(Boolean) : [];
  const writes = lines.filter((l) => !l.startsWith("GET ") && !l.startsWith("HEAD ")).length;
  return `${seconds.toFixed(1)} s / ${lines.length} req (${writes} writes)`;
}

let rows = 0;
function deploy(label: string, config: Record<string, string>): Row {
  rows++;
  const stack = label.replace(/[^a-z0-9]+/gi, "-");
  run("pulumi", ["stack", "init", stack, "--non-interactive"], app);
  for (const [k, v] of Object.entries({ project: "default", count: String(COUNT), prefix: `bc${RUN}${rows}-`, ...config }))
    run("pulumi", ["config", "set", "--stack", stack, k, v], app);
  const figures = [
    measure(stack, ["up", "--yes", "--skip-preview"]),
    measure(stack, ["up", "--yes", "--skip-preview"]),
    measure(stack, ["preview"]),
    measure(stack, ["refresh", "--yes", "--skip-preview"]),
    measure(stack, ["destroy", "--yes", "--skip-preview"]),
  ];
  return { label, figures };
}

async function main(): Promise<void> {
  const table: Row[] = [];
  const standaloneRoot = path.join("/var/lib/pulumi-incus-cluster", "bench-standalone");
  const standalone = new FaultDaemon("bench-standalone", { root: standaloneRoot });
  const cluster = new ClusterDaemons("bcl", 28);
  try {
    await standalone.create();
    table.push(deploy("standalone (unix socket)", { "incus:socket": standalone.socket }));
    await standalone.destroy();
    const formed = Date.now();
    await cluster.create();
    console.log(`cluster formed in ${((Date.now() - formed) / 1000).toFixed(1)} s`);
    const m1 = cluster.member(1).daemon.socket;
    table.push(deploy("cluster, scheduler (unix socket)", { "incus:socket": m1 }));
    table.push(deploy("cluster, target @default (unix socket)", { "incus:socket": m1, target: "@default" }));
    // Over HTTPS through member 1, with the CLI's config dir (remote, client certificate, pinned cluster certificate).
    const conf = path.join(work, "incus-client");
    fs.mkdirSync(path.join(conf, "servercerts"), { recursive: true });
    fs.writeFileSync(path.join(conf, "config.yml"), `default-remote: cluster\nremotes:\n  cluster:\n    addr: ${cluster.member(1).url}\n    protocol: incus\n`);
    fs.writeFileSync(path.join(conf, "client.crt"), cluster.cert!.cert);
    fs.writeFileSync(path.join(conf, "client.key"), cluster.cert!.key, { mode: 0o600 });
    fs.writeFileSync(path.join(conf, "servercerts", "cluster.crt"), cluster.serverCert());
    table.push(deploy("cluster, scheduler (HTTPS, member 1)", { "incus:remote": "cluster", "incus:configDir": conf }));
    const torn = Date.now();
    await cluster.destroy();
    console.log(`cluster torn down in ${((Date.now() - torn) / 1000).toFixed(1)} s`);
  } finally {
    await standalone.destroy().catch(() => undefined);
    fs.rmSync(standaloneRoot, { recursive: true, force: true });
    await cluster.destroy().catch(() => undefined);
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
  const heads = ["up (create)", "no-change up", "preview", "refresh", "destroy"];
  console.log(`\n${COUNT} busybox containers (examples/bench-instances), pulumi CLI, installed tarball; seconds / requests to Incus\n`);
  console.log(`| stack | ${heads.join(" | ")} |`);
  console.log(`|---|${heads.map(() => "---").join("|")}|`);
  for (const r of table) console.log(`| ${r.label} | ${r.figures.join(" | ")} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
