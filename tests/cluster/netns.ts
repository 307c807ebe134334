// A private Incus cluster whose members each run in a network namespace of their own, so each can make its own
// interfaces (a bridge network's bridge exists once per member; on the loopback cluster of cluster.ts the second
// member fails with "interface already exists"). The namespaces are the test's own:
//
//   pi-cl3-<tag>-hub   a Linux bridge `br0` and one veth end per member (`h<i>`), no address
//   pi-cl3-<tag>-m<i>  loopback and the other veth end (`eth0`, 10.60.0.<i+1>/24), where member i's incusd runs
//
// Nothing has a route out and no host interface is touched: members reach each other over the hub only, and the test
// reaches each member through its unix socket (a path on the shared filesystem), never over the network. Use it like
// ClusterDaemons (once per test file: create in beforeAll, destroy in afterAll). create() first deletes this tag's
// namespaces that an earlier, killed run left (their incusd are stopped by the PIDs recorded in the cluster's folder,
// as for any ClusterDaemons); destroy() stops the members by PID, then deletes the namespaces.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { IncusClient, type UnixEndpoint } from "pulumi-incus/provider";
import { ClusterDaemons } from "./cluster";

const SUBNET = "10.60.0";

/** The namespaces `ip netns` lists whose names start with `prefix`. */
function namespaces(prefix: string): string[] {
  const out = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(prefix));
}

/**
 * The command an incusd runs through to live in namespace `ns`: `ip netns exec` remounts /sys for the namespace, which
 * hides the host's cgroup mounts, so they are mounted again first; `exec` keeps the PID incusd's.
 */
function inNamespace(ns: string): string[] {
  const cgroups = fs
    .readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .filter(([, at, type]) => at?.startsWith("/sys/fs/cgroup/") && (type === "cgroup" || type === "cgroup2"))
    .map(([, at, type, opts]) => `mkdir -p ${at} && mount -t ${type} -o ${opts} ${type} ${at}`);
  const script = ["mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup", ...cgroups, 'exec "$@"'].join(" && ");
  return ["ip", "netns", "exec", ns, "sh", "-c", script, "sh"];
}

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

export class NetnsCluster extends ClusterDaemons {
  /** `pi-cl3-<tag>-`: every namespace of this cluster starts with it. */
  readonly nsPrefix: string;
  /** Milliseconds create() took to make the namespaces (also counted in formedIn). */
  netnsMs = 0;

  constructor(tag: string, size = 3, opts: { buckets?: boolean } = {}) {
    const prefix = `pi-cl3-${tag}-`;
    super(tag, 0, size, {
      ...opts,
      member: (i) => ({
        address: `${SUBNET}.${i + 2}:8443`,
        prefix: inNamespace(`${prefix}m${i + 1}`),
        cli: ["ip", "netns", "exec", `${prefix}m${i + 1}`],
        // The members' own addresses bypass the closed proxy every private incusd gets (tests/faults/daemon.ts).
        env: { no_proxy: `127.0.0.1,localhost,::1,${SUBNET}.0/24` },
      }),
    });
    this.nsPrefix = prefix;
  }

  /** Member `i`'s namespace. */
  ns(i: number): string {
    return `${this.nsPrefix}m${i}`;
  }

  /** Runs a command in member `i`'s namespace (e.g. `ip link` to see its interfaces); returns its output. */
  exec(i: number, cmd: string[]): string {
    return execFileSync("ip", ["netns", "exec", this.ns(i), ...cmd], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  override async create(): Promise<void> {
    const started = Date.now();
    this.deleteNamespaces();
    const hub = `${this.nsPrefix}hub`;
    ip("netns", "add", hub);
    ip("-n", hub, "link", "add", "br0", "type", "bridge");
    ip("-n", hub, "link", "set", "br0", "up");
    for (const [k] of this.members.entries()) {
      const ns = this.ns(k + 1);
      ip("netns", "add", ns);
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", hub, "link", "add", `h${k + 1}`, "type", "veth", "peer", "name", "eth0", "netns", ns);
      ip("-n", hub, "link", "set", `h${k + 1}`, "master", "br0", "up");
      ip("-n", ns, "addr", "add", `${SUBNET}.${k + 2}/24`, "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
    }
    this.netnsMs = Date.now() - started;
    await super.create();
    this.formedIn = Date.now() - started;
  }

  /** The cluster through member `i`'s unix socket (the host cannot reach the namespaces' addresses). */
  override client(i = 1): IncusClient {
    const endpoint: UnixEndpoint = { kind: "unix", socketPath: this.member(i).daemon.socket, defaultProject: "default" };
    return new IncusClient(endpoint);
  }

  override async destroy(): Promise<void> {
    try {
      await super.destroy();
    } finally {
      this.deleteNamespaces();
    }
  }

  /** Deletes this cluster's namespaces (its own or an earlier run's); an incusd still inside keeps its one alive. */
  private deleteNamespaces(): void {
    for (const ns of namespaces(this.nsPrefix)) ip("netns", "del", ns);
  }
}
