// An OVN stack for one test file, inside a network namespace of its own (`pi-ovn-<tag>`, holding only loopback and the
// OVS bridges it makes): Open vSwitch on the userspace (netdev) datapath (this kernel has no openvswitch module), the
// OVN NB/SB databases, northd, ovn-controller, the OVN-IC databases and ovn-ic, and a private incusd (FaultDaemon)
// configured for OVN with an uplink. Binaries come unpacked from their .debs (scripts/setup-ovn.sh); every daemon has
// its run/db/log files under this stack's directory, is stopped by the PID recorded at spawn, and the namespace is
// deleted after. Nothing runs on the host's network: no host interface, no route out of the namespace.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FaultDaemon } from "../faults/daemon";
import { alive } from "../host";

const ROOT = "/var/lib/pulumi-incus-faults";
/** Where scripts/setup-ovn.sh unpacks the packages (it runs at start, a no-op once they are there). */
const OVN_ROOT = path.join(process.env.PULUMI_INCUS_TOOLS ?? path.join(os.homedir(), ".cache", "pulumi-incus"), "ovn");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The uplink's settings: RFC 5737 documentation addresses (config only; OVN requires a subnet) inside a namespace with
 * no route out. OVN networks take their subnets from `routes` (private 10.213.0.0/16) and listen addresses of load
 * balancers and forwards from 192.0.2.128/25.
 */
export const UPLINK = "piup";
export const UPLINK_CONFIG = {
  parent: UPLINK,
  "ipv4.gateway": "192.0.2.1/24",
  "ipv4.ovn.ranges": "192.0.2.10-192.0.2.20",
  "ipv4.routes": "10.213.0.0/16,192.0.2.128/25",
};

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export class OvnStack {
  readonly ns: string;
  readonly dir: string;
  readonly daemon: FaultDaemon;
  /** Seconds to start and to stop, and the RSS of every process of the stack once started. */
  readonly figures: { startS?: number; stopS?: number; ovnRssMiB?: number; incusdRssMiB?: number } = {};
  private readonly root: string;
  private readonly pidFile: string;
  private readonly children: ChildProcess[] = [];

  /** `opts.image`: import the busybox test image into the stack's incusd (for instances). Default: no image. */
  constructor(tag: string, opts: { image?: boolean } = {}) {
    this.ns = `pi-ovn-${tag}`;
    this.dir = path.join(ROOT, `${tag}-ovs`);
    this.pidFile = path.join(ROOT, `${tag}-ovs.pids`);
    this.root = OVN_ROOT;
    // incusd runs in the namespace with the host's cgroup v1 mounts mounted again: `ip netns exec` remounts /sys.
    const cgroups = fs
      .readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" "))
      .filter(([, at, type]) => at?.startsWith("/sys/fs/cgroup/") && (type === "cgroup" || type === "cgroup2"))
      .map(([, at, type, opts]) => `mkdir -p ${at} && mount -t ${type} -o ${opts} ${type} ${at}`);
    const script = ["mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup", ...cgroups, 'exec "$@"'].join(" && ");
    this.daemon = new FaultDaemon(tag, {
      image: opts.image ?? false,
      prefix: ["ip", "netns", "exec", this.ns, "sh", "-c", script, "sh"],
      path: [this.bin("usr/bin")],
    });
  }

  private bin(rel: string): string {
    return path.join(this.root, rel);
  }

  /** The OVSDB endpoint of one of the stack's databases: `db` (OVS), `ovnnb_db`, `ovnsb_db`, `ovn_ic_nb_db`, `ovn_ic_sb_db`. */
  sock(name: string): string {
    return `unix:${path.join(this.dir, `${name}.sock`)}`;
  }

  /** Runs a tool of the stack in the namespace (ovs-vsctl, ovn-nbctl, …) and returns its output. */
  tool(name: string, ...args: string[]): string {
    const db: Record<string, string[]> = {
      "ovs-vsctl": [`--db=${this.sock("db")}`],
      "ovn-nbctl": [`--db=${this.sock("ovnnb_db")}`],
      "ovn-sbctl": [`--db=${this.sock("ovnsb_db")}`],
      "ovn-ic-nbctl": [`--db=${this.sock("ovn_ic_nb_db")}`],
    };
    return execFileSync("ip", ["netns", "exec", this.ns, this.bin(`usr/bin/${name}`), ...(db[name] ?? []), ...args], {
      encoding: "utf8",
      env: this.env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  private env(): NodeJS.ProcessEnv {
    const d = this.dir;
    return {
      ...process.env,
      LD_LIBRARY_PATH: this.bin("usr/lib/x86_64-linux-gnu"),
      OVS_RUNDIR: d,
      OVS_DBDIR: d,
      OVS_LOGDIR: d,
      OVS_SYSCONFDIR: d,
      OVS_PKGDATADIR: this.bin("usr/share/openvswitch"),
      OVN_RUNDIR: d,
      OVN_DBDIR: d,
      OVN_LOGDIR: d,
      OVN_SYSCONFDIR: d,
      OVN_PKGDATADIR: this.bin("usr/share/ovn"),
    };
  }

  /** Spawns a daemon in the namespace, in the foreground of its own process group, and records its PID. */
  private async daemonize(name: string, exe: string, args: string[], ready: string | ((pid: number) => string)): Promise<void> {
    const log = fs.openSync(path.join(this.dir, `${name}.out`), "a");
    const child = spawn("ip", ["netns", "exec", this.ns, exe, ...args, `--log-file=${path.join(this.dir, `${name}.log`)}`], {
      env: this.env(),
      detached: true,
      stdio: ["ignore", log, log],
    });
    fs.closeSync(log);
    child.unref();
    this.children.push(child);
    fs.appendFileSync(this.pidFile, `${child.pid}\n`);
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(typeof ready === "string" ? ready : ready(child.pid!))) {
      if (!alive(child.pid!) || Date.now() > deadline) throw new Error(`${name} did not start; see ${this.dir}/${name}.log`);
      await sleep(50);
    }
  }

  private async ovsdb(name: string, schema: string): Promise<void> {
    const db = path.join(this.dir, `${name}.db`);
    execFileSync(this.bin("usr/bin/ovsdb-tool"), ["create", db, schema], { env: this.env(), stdio: "ignore" });
    const sock = path.join(this.dir, `${name}.sock`);
    await this.daemonize(name, this.bin("usr/sbin/ovsdb-server"), [db, `--remote=punix:${sock}`, `--unixctl=${this.dir}/${name}.ctl`], sock);
  }

  /** Starts everything from nothing (what an interrupted earlier run left is stopped and removed first). */
  async start(): Promise<void> {
    await this.stop();
    const t0 = Date.now();
    execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "setup-ovn.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    fs.mkdirSync(this.dir, { recursive: true });
    execFileSync("ip", ["netns", "add", this.ns]);
    execFileSync("ip", ["-n", this.ns, "link", "set", "lo", "up"]);
    const d = this.dir;
    const ovn = (f: string) => this.bin(`usr/share/ovn/${f}`);
    await this.ovsdb("db", this.bin("usr/share/openvswitch/vswitch.ovsschema"));
    this.tool("ovs-vsctl", "--no-wait", "init");
    await this.daemonize(
      "ovs-vswitchd",
      this.bin("usr/lib/openvswitch-switch/ovs-vswitchd"),
      [this.sock("db"), `--unixctl=${d}/ovs-vswitchd.ctl`],
      `${d}/ovs-vswitchd.ctl`,
    );
    await this.ovsdb("ovnnb_db", ovn("ovn-nb.ovsschema"));
    await this.ovsdb("ovnsb_db", ovn("ovn-sb.ovsschema"));
    await this.ovsdb("ovn_ic_nb_db", ovn("ovn-ic-nb.ovsschema"));
    await this.ovsdb("ovn_ic_sb_db", ovn("ovn-ic-sb.ovsschema"));
    const dbs = [`--ovnnb-db=${this.sock("ovnnb_db")}`, `--ovnsb-db=${this.sock("ovnsb_db")}`];
    await this.daemonize("ovn-northd", this.bin("usr/bin/ovn-northd"), [...dbs, `--unixctl=${d}/ovn-northd.ctl`], `${d}/ovn-northd.ctl`);
    // OVN-IC needs the availability zone's name; the chassis is the interconnect gateway (for remote peers).
    this.tool("ovn-nbctl", "set", "NB_Global", ".", "name=pi-az");
    const ic = [`--ic-nb-db=${this.sock("ovn_ic_nb_db")}`, `--ic-sb-db=${this.sock("ovn_ic_sb_db")}`];
    await this.daemonize("ovn-ic", this.bin("usr/bin/ovn-ic"), [...dbs, ...ic, `--unixctl=${d}/ovn-ic.ctl`], `${d}/ovn-ic.ctl`);
    this.tool(
      "ovs-vsctl",
      "set",
      "open_vswitch",
      ".",
      "external_ids:system-id=pi-ovn-chassis",
      `external_ids:ovn-remote=${this.sock("ovnsb_db")}`,
      "external_ids:ovn-encap-type=geneve",
      "external_ids:ovn-encap-ip=127.0.0.1",
      "external_ids:ovn-bridge-datapath-type=netdev",
      "external_ids:ovn-is-interconn=true",
    );
    // ovn-controller takes no --unixctl: its control socket is named by its PID in OVN_RUNDIR.
    await this.daemonize("ovn-controller", this.bin("usr/bin/ovn-controller"), [this.sock("db")], (pid) => `${d}/ovn-controller.${pid}.ctl`);
    // The uplink: an OVS bridge on the netdev datapath, inside the namespace only.
    this.tool("ovs-vsctl", "--may-exist", "add-br", UPLINK, "--", "set", "bridge", UPLINK, "datapath_type=netdev");
    execFileSync("ip", ["-n", this.ns, "link", "set", UPLINK, "up"]);
    await this.daemon.create();
    // Incus 6.0.4 connects to OVS before it accepts the northbound connection.
    this.daemon.incus("config", "set", "network.ovs.connection", this.sock("db"));
    this.daemon.incus("config", "set", "network.ovn.northbound_connection", this.sock("ovnnb_db"));
    this.daemon.incus("network", "create", UPLINK, "--type=physical", ...Object.entries(UPLINK_CONFIG).map(([k, v]) => `${k}=${v}`));
    this.figures.startS = (Date.now() - t0) / 1000;
    this.figures.ovnRssMiB = Math.round(this.children.reduce((n, c) => n + rssKiB(c.pid!), 0) / 1024);
    this.figures.incusdRssMiB = Math.round(rssKiB(this.daemon.pid ?? 0) / 1024);
  }

  /** The settings an OVN network of the tests takes: the uplink, and a subnet of its routes (no NAT, no DHCP). */
  static network(subnet: number): Record<string, string> {
    return { network: UPLINK, "ipv4.address": `10.213.${subnet}.1/24`, "ipv4.nat": "false", "ipv4.dhcp": "false", "ipv6.address": "none" };
  }

  /** Stops incusd (and its instances), then every daemon by its recorded PID, deletes the namespace and the files. */
  async stop(): Promise<void> {
    const t0 = Date.now();
    await this.daemon.destroy();
    const pids = fs.existsSync(this.pidFile) ? fs.readFileSync(this.pidFile, "utf8").split("\n").filter(Boolean).map(Number) : [];
    // Recorded by this file or an interrupted earlier run: only processes still running from this stack's directory.
    const ours = pids.filter((pid) => alive(pid) && cmdline(pid).includes(this.dir)).reverse();
    for (const pid of ours) process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (ours.some(alive) && Date.now() < deadline) await sleep(50);
    for (const pid of ours.filter(alive)) process.kill(pid, "SIGKILL");
    while (ours.some(alive)) await sleep(20);
    if (fs.existsSync(`/run/netns/${this.ns}`)) execFileSync("ip", ["netns", "del", this.ns]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.rmSync(this.pidFile, { force: true });
    this.children.length = 0;
    this.figures.stopS = (Date.now() - t0) / 1000;
  }
}
