// A dedicated Incus daemon for the fault suite, so killing it never disturbs anyone using the shared one: its own
// INCUS_DIR (database, unix socket, logs, run and cache dirs all live under it), started and SIGKILLed by the PID
// this file records, with a `dir` pool, a root disk in the default profile and the busybox test image. No networks.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, IncusClient } from "pulumi-incus/provider";

const ROOT = "/var/lib/pulumi-incus-faults";
const INCUSD = "/usr/libexec/incus/incusd";
export const TEST_IMAGE_ALIAS = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";
const TOOLS = process.env.PULUMI_INCUS_TOOLS ?? path.join(os.homedir(), ".cache", "pulumi-incus");

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is dead
  } catch {
    return false;
  }
}

/** Where minio and mc are: built once by scripts/setup-minio.sh (minutes on a clean machine; instant when cached). */
let minio: string | undefined;
function minioDir(): string {
  minio ??= execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "setup-minio.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return minio;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A suffix for project and instance names: a container's cgroup (lxc.payload.<project>_<name>) is global to the
 * host, so names must not collide with instances of any other daemon on the machine.
 */
export const RUN = `${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

export class FaultDaemon {
  readonly root: string;
  readonly dir: string;
  readonly socket: string;
  private child?: ChildProcess;
  private readonly pidFile: string;
  private readonly logFile: string;

  /**
   * `tag` names this suite's daemon; each test file has its own, so Jest workers never share one. `opts.buckets`:
   * it can serve storage buckets (Incus 6.0 runs MinIO for a dir pool's, so minio and mc go first on incusd's PATH);
   * `opts.image: false` skips the test image. `opts.prefix` runs incusd through a command (a network namespace's
   * `ip netns exec`, which execs it, so the PID stays incusd's); `opts.path` goes first on incusd's PATH.
   * `opts.root`: the folder holding its directory, PID and log files (tests/cluster/cluster.ts puts each cluster's
   * members in one of their own). `opts.env`: more of incusd's environment, last (tests/cluster/netns.ts's members
   * reach each other without the closed proxy: `no_proxy`).
   */
  constructor(
    tag: string,
    private readonly opts: {
      buckets?: boolean;
      image?: boolean;
      prefix?: string[];
      path?: string[];
      root?: string;
      lxd?: string;
      env?: Record<string, string>;
    } = {},
  ) {
    const root = opts.root ?? ROOT;
    this.root = root;
    this.dir = path.join(root, tag);
    this.socket = path.join(this.dir, "unix.socket");
    this.pidFile = path.join(root, `${tag}.pid`);
    this.logFile = path.join(root, `${tag}.log`);
  }

  /**
   * The daemon's binary, the variable naming its directory and its environment: incusd, or (`opts.lxd`, the root
   * scripts/setup-lxd.sh unpacked) LXD's `lxd` with the libraries unpacked beside it.
   */
  private get flavour(): { bin: string; dirVar: string; env: NodeJS.ProcessEnv } {
    if (!this.opts.lxd) return { bin: INCUSD, dirVar: "INCUS_DIR", env: { INCUS_DIR: this.dir } };
    const lib = path.join(this.opts.lxd, "usr", "lib", "x86_64-linux-gnu");
    return { bin: path.join(this.opts.lxd, "usr", "bin", "lxd"), dirVar: "LXD_DIR", env: { LXD_DIR: this.dir, LD_LIBRARY_PATH: lib } };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A client for this daemon (each call a new one; the pool is shared per socket). */
  client(): IncusClient {
    return new IncusClient({ kind: "unix", socketPath: this.socket, defaultProject: "default" });
  }

  /** The incus CLI pointed at this daemon. */
  incus(...args: string[]): string {
    return execFileSync("incus", args, { encoding: "utf8", env: { ...process.env, INCUS_DIR: this.dir }, stdio: ["ignore", "pipe", "pipe"] });
  }

  /** GET through the CLI (no client state involved); null on any error. */
  query<T = any>(apiPath: string): T | null {
    try {
      return JSON.parse(this.incus("query", apiPath)) as T;
    } catch {
      return null;
    }
  }

  /**
   * Starts from an empty directory (a left-over one from an interrupted run is shut down and removed first).
   * `bare`: no pool, profile disk or image (for tests of server-wide settings only).
   */
  async create(opts: { bare?: boolean } = {}): Promise<void> {
    fs.mkdirSync(path.dirname(this.dir), { recursive: true });
    const previous = this.recordedDaemon();
    if (previous) {
      // An earlier run of this suite died and left its daemon running: stop it (and its instances).
      await this.shutdown(previous);
    } else if (fs.existsSync(this.dir)) {
      // An earlier run died without cleaning up: its instances may still run. Start a daemon on that directory
      // so it can stop them, then wipe it.
      await this.start();
      await this.shutdown();
    }
    this.wipe();
    fs.mkdirSync(this.dir, { recursive: true });
    await this.start();
    if (opts.bare) return;
    const c = this.client();
    await c.post("/1.0/storage-pools", { name: "default", driver: "dir" }, { project: null });
    await c.update<{ devices: Record<string, unknown> }>(
      "/1.0/profiles/default",
      (live) => ({ ...live, devices: { ...live.devices, root: { type: "disk", path: "/", pool: "default" } } }),
      { project: null },
    );
    if (this.opts.image === false) return;
    const tarball = path.join(TOOLS, "images", "busybox.tar.gz");
    if (!fs.existsSync(tarball)) throw new Error(`${tarball} is missing: run scripts/setup-image.sh`);
    this.incus("image", "import", tarball, "--alias", TEST_IMAGE_ALIAS);
  }

  /** Launches incusd on this directory and waits until it answers. */
  async start(): Promise<void> {
    if (this.child && alive(this.child.pid!)) throw new Error("the fault daemon is already running");
    const log = fs.openSync(this.logFile, "a");
    // Background fetches (instance types) go to a closed loopback port, as for the shared daemon.
    const PATH = [...(this.opts.path ?? []), ...(this.opts.buckets ? [minioDir()] : []), process.env.PATH ?? ""].join(":");
    const env = {
      ...process.env,
      PATH,
      INCUS_DIR: this.dir,
      ...this.flavour.env,
      https_proxy: "http://127.0.0.1:9",
      http_proxy: "http://127.0.0.1:9",
      no_proxy: "127.0.0.1,localhost,::1",
      ...this.opts.env,
    };
    const [cmd, ...args] = [...(this.opts.prefix ?? []), this.flavour.bin, "--group", "root"];
    this.child = spawn(cmd, args, { env, detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    fs.writeFileSync(this.pidFile, String(this.child.pid));
    this.child.unref();
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (!alive(this.child.pid!)) throw new Error(`incusd exited at start; see ${this.logFile}`);
      if (this.query("/1.0")) {
        // The API answers before the daemon has finished starting instances; /internal/ready says it has.
        try {
          const [bin, args] = this.opts.lxd ? [this.flavour.bin, ["waitready"]] : ["incus", ["admin", "waitready"]];
          execFileSync(bin, [...args, "--timeout", "60"], { env: { ...process.env, ...this.flavour.env }, stdio: "ignore" });
        } catch {
          // older CLI: the answer to /1.0 will do
        }
        return;
      }
      await sleep(200);
    }
    throw new Error(`incusd did not answer within 90 s; see ${this.logFile}`);
  }

  /** SIGKILL, as a crash: no clean-up runs in the daemon; its instances keep running. Waits until it is gone. */
  async kill(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    while (alive(pid)) await sleep(20);
    this.child = undefined;
    // Its socket file goes with it, as an init system's would: a container monitor that LXC forked from the daemon a
    // moment before the kill inherits the listening socket and outlives it, and connections made to that file until
    // the next daemon binds a new one would wait in a queue nobody serves (seen once: an `up` hung for 20 minutes).
    fs.rmSync(this.socket, { force: true });
    this.stopForks();
  }

  /**
   * Forks of the killed daemon that had not become anything else yet (LXC starts a container from a fork of incusd,
   * which runs incusd's own image until it execs): one the kill catches can stay stopped for good, holding the
   * daemon's sockets and connections, so requests sent on them are never answered. They are this suite's daemon's
   * own, found by its exact command line and this daemon's INCUS_DIR (the next daemon is not started yet), and
   * stopped by PID.
   */
  private stopForks(): void {
    for (const entry of fs.readdirSync("/proc")) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      try {
        if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") !== `${this.flavour.bin}\0--group\0root\0`) continue;
        if (!fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`${this.flavour.dirVar}=${this.dir}`)) continue;
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** The PID recorded by an earlier run when that process is still this directory's incusd. */
  private recordedDaemon(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(this.pidFile, "utf8"));
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const env = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      return alive(pid) && cmd.startsWith(this.flavour.bin) && env.includes(`${this.flavour.dirVar}=${this.dir}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops every instance and the daemon (incusd shutdown), then waits for the process to end. */
  async shutdown(pid = this.child?.pid): Promise<void> {
    if (!pid) return;
    try {
      execFileSync(this.flavour.bin, ["shutdown", "--timeout", "60"], { env: { ...process.env, ...this.flavour.env }, stdio: "ignore", timeout: 90_000 });
    } catch {
      // fall through to the kill
    }
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await sleep(100);
    if (alive(pid)) process.kill(pid, "SIGKILL");
    while (alive(pid)) await sleep(20);
    if (this.child?.pid === pid) this.child = undefined;
  }

  /** Shuts the daemon down (started again first if a test left it killed, so it stops its instances) and removes its directory. */
  async destroy(): Promise<void> {
    await closeAllPools();
    // Another process (scripts/cluster.sh down) stops a daemon it did not start by the PID recorded for it.
    const recorded = this.child ? undefined : this.recordedDaemon();
    if (!this.child && !recorded && fs.existsSync(this.dir)) await this.start().catch(() => undefined);
    await this.shutdown(recorded ?? this.child?.pid);
    this.wipe();
  }

  private wipe(): void {
    // incusd mounts a few tmpfs under its directory (shmounts, guestapi): unmount before removing.
    const mounts = fs
      .readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1])
      .filter((m) => m && (m === this.dir || m.startsWith(this.dir + "/")))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        // not mounted any more
      }
    }
    // A MinIO server incusd started for a bucket can outlive the daemon for a moment and still write under the
    // directory (ENOTEMPTY while it is removed): node retries those errors, with pauses growing to 1 s.
    fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    fs.rmSync(this.pidFile, { force: true });
  }
}
