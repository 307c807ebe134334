// scripts/cluster.sh's worker: `up` forms a cluster (tests/cluster/cluster.ts) and leaves it running, with an incus
// CLI config dir (a remote `cluster` through member 1, the trusted client certificate, the pinned cluster
// certificate) and a state file of member names, addresses and PIDs; `down` stops it by those PIDs; `status` prints
// the state and whether each PID is still alive.
import * as fs from "node:fs";
import * as path from "node:path";
import { closeAllPools } from "pulumi-incus/provider";
import { ClusterDaemons } from "./cluster";
import { alive } from "../host";

const [command = "status"] = process.argv.slice(2);
// `scripts/cluster.sh up | head -1` closes stdout early: the cluster is formed and recorded by then.
process.stdout.on("error", () => undefined);
const net = Number(process.env.CLUSTER_NET ?? 9);
const cluster = new ClusterDaemons(process.env.CLUSTER_TAG ?? "by-hand", net, Number(process.env.CLUSTER_SIZE ?? 3));
const stateFile = path.join(cluster.root, "state.json");
const confDir = path.join(cluster.root, "client");

function status(): void {
  if (!fs.existsSync(stateFile)) {
    console.log(`no cluster recorded in ${stateFile}`);
    return;
  }
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { members: { name: string; url: string; pid: number }[] };
  for (const m of state.members) console.log(`${m.name}\t${m.url}\tpid ${m.pid}\t${alive(m.pid) ? "running" : "gone"}`);
  console.log(`
Point the incus CLI at it:   INCUS_CONF=${confDir} incus cluster list cluster:
Point a Pulumi program at it:
  pulumi config set incus:remote cluster
  pulumi config set incus:configDir ${confDir}
(or incus:remote ${state.members[0].url} with incus:clientCert/clientKey/serverCert from ${confDir})`);
}

async function up(): Promise<void> {
  await cluster.create();
  cluster.writeConfigDir(confDir);
  const members = cluster.members.map((m) => ({ name: m.name, url: m.url, dir: m.daemon.dir, pid: m.daemon.pid }));
  fs.writeFileSync(stateFile, JSON.stringify({ members }, null, 2));
  console.log(`formed in ${(cluster.formedIn / 1000).toFixed(1)} s; RSS MiB ${JSON.stringify(cluster.rssMiB())}`);
  status();
}

async function main(): Promise<void> {
  if (command === "up") await up();
  else if (command === "down") {
    const started = Date.now();
    await cluster.destroy();
    console.log(`stopped and removed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else if (command === "status") status();
  else throw new Error(`usage: scripts/cluster.sh up|down|status (not "${command}")`);
  await closeAllPools();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
