// A private Incus cluster for tests: N incusd members on loopback addresses, each a FaultDaemon (tests/faults/daemon.ts:
// its own INCUS_DIR, started and stopped by the PID it records) under one base folder of this cluster's own, formed
// from nothing (the first member bootstraps from a preseed, the others join with a token), a `dir` pool `default`, a
// root disk in the default profile, the busybox test image and no networks. Start it once per test file:
//
//   const cluster = new ClusterDaemons("volumes", 11);          // members 127.0.11.2, .3, .4 on port 8443
//   beforeAll(() => cluster.create(), 120_000);                   // ~10 s
//   afterAll(() => cluster.destroy(), 120_000);                   // ~12 s: incusd shutdown of each, folders removed
//   const client = cluster.client();                              // HTTPS through member 1, trusted client cert
//   cluster.member(1).kill() / .start()                           // one member down and up again, by PID
//   cluster.endpoint()                                            // { url, clientCert, clientKey, serverCert } for a stack
//
// Member names are `<tag>-m1` … Every test file has its own tag and address range 127.0.<n>.2-(N+1):
//
//   | n       | who                                                      |
//   |---------|----------------------------------------------------------|
//   | 9       | scripts/cluster.sh (by hand)                             |
//   | 10      | tests/cluster/connection.test.ts                         |
//   | 11      | tests/cluster/volumes.test.ts                            |
//   | 12      | tests/cluster/instance-target.test.ts                    |
//   | 10–19   | reserved for the h-cl-a tests (target, volumes, connection) |
//   | 20–29   | reserved for pool/network memberConfig, ClusterGroup/Member, examples/cluster |
//   | 50      | scripts/bench-cluster.js (tag pi-bench-cluster; BENCH_CLUSTER_NET/_TAG) |
//   | 74      | scripts/bench-cluster.js run by h-clbench (BENCH_CLUSTER_NET=74)      |
//   | 60      | tests/cluster/member-ids.test.ts (import ids, records, location)              |
//
// tests/cluster/netns.ts forms one whose members each run in a network namespace of their own (`member` below).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { closeAllPools, type HttpsEndpoint, IncusClient } from "pulumi-incus/provider";
import { certificateBase64Der, type ClientCertificate, generateClientCertificate } from "../certs";
import { FaultDaemon } from "../faults/daemon";

const ROOT = "/var/lib/pulumi-incus-cluster";
const PORT = 8443;
const TOOLS = process.env.PULUMI_INCUS_TOOLS ?? path.join(process.env.HOME ?? "/root", ".cache", "pulumi-incus");
export const TEST_IMAGE_ALIAS = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";

export interface ClusterMember {
  /** Its Incus name (`<tag>-m<i>`). */
  name: string;
  /** Its HTTPS address, `127.0.<n>.<i+1>:8443`. */
  address: string;
  url: string;
  daemon: FaultDaemon;
  /** What the incus CLI for this member runs through (its namespace's `ip netns exec`: a join dials the cluster). */
  cli?: string[];
}

export class ClusterDaemons {
  readonly members: ClusterMember[];
  readonly root: string;
  /** The client certificate the cluster trusts (made at create). */
  cert?: ClientCertificate;

  /** `tag`: this cluster's folder and member names; `net`: its address range 127.0.<net>.2…; `size`: members. */
  constructor(
    readonly tag: string,
    net: number,
    size = 3,
    opts: { buckets?: boolean; member?: (i: number) => { address: string; prefix?: string[]; cli?: string[]; env?: Record<string, string> } } = {},
  ) {
    this.root = path.join(ROOT, tag);
    this.members = Array.from({ length: size }, (_, i) => {
      // `opts.member`: where member i (from 0) listens and the command its incusd runs through (a namespace's).
      const where = opts.member?.(i) ?? { address: `127.0.${net}.${i + 2}:${PORT}` };
      return {
        name: `${tag}-m${i + 1}`,
        address: where.address,
        url: `https://${where.address}`,
        daemon: new FaultDaemon(`m${i + 1}`, { root: this.root, buckets: opts.buckets, prefix: where.prefix, env: where.env }),
        cli: where.cli,
      };
    });
  }

  /** Member `i`, counted from 1 as in its name. */
  member(i: number): ClusterMember {
    return this.members[i - 1];
  }

  /** The incus CLI against member `i` (1 by default) through its unix socket. */
  incus(args: string[], opts: { member?: number; input?: string } = {}): string {
    const m = this.member(opts.member ?? 1);
    const [cmd, ...rest] = [...(m.cli ?? []), "incus", ...args];
    return execFileSync(cmd, rest, {
      encoding: "utf8",
      env: { ...process.env, INCUS_DIR: m.daemon.dir },
      input: opts.input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  }

  /**
   * Forms the cluster from empty folders (an earlier run's leftovers are stopped and removed first: each member's
   * FaultDaemon.create does that, all at once so a leftover cluster can reach quorum to stop its instances).
   */
  async create(): Promise<void> {
    const started = Date.now();
    await Promise.all(this.members.map((m) => m.daemon.create({ bare: true })));
    const [first, ...rest] = this.members;
    this.incus(["admin", "init", "--preseed"], {
      input: JSON.stringify({
        config: { "core.https_address": first.address, "images.auto_update_interval": "0" },
        storage_pools: [{ name: "default", driver: "dir" }],
        profiles: [{ name: "default", devices: { root: { path: "/", pool: "default", type: "disk" } } }],
        cluster: { server_name: first.name, enabled: true },
      }),
    });
    // Joins go one at a time: each changes the database's member list.
    for (const [i, m] of rest.entries()) {
      const token = this.incus(["cluster", "add", m.name, "--quiet"]).trim();
      this.incus(["admin", "init", "--preseed"], {
        member: i + 2,
        input: JSON.stringify({
          cluster: {
            enabled: true,
            server_name: m.name,
            server_address: m.address,
            cluster_token: token,
            member_config: [{ entity: "storage-pool", name: "default", key: "source", value: "" }],
          },
        }),
      });
    }
    this.cert = await generateClientCertificate({ commonName: `pulumi-incus-cluster-${this.tag}` });
    await first.daemon
      .client()
      .post("/1.0/certificates", { name: `tests-${this.tag}`, type: "client", certificate: certificateBase64Der(this.cert.cert) }, { project: null });
    const tarball = path.join(TOOLS, "images", "busybox.tar.gz");
    if (!fs.existsSync(tarball)) throw new Error(`${tarball} is missing: run scripts/setup-image.sh`);
    this.incus(["image", "import", tarball, "--alias", TEST_IMAGE_ALIAS]);
    this.formedIn = Date.now() - started;
  }

  /** Milliseconds create() took. */
  formedIn = 0;

  /** The cluster's certificate, which every member serves on HTTPS (pin it). */
  serverCert(): string {
    return fs.readFileSync(path.join(this.member(1).daemon.dir, "cluster.crt"), "utf8");
  }

  /** What a client (or a stack's incus:* settings) needs to reach the cluster through member `i`'s HTTPS address. */
  endpoint(i = 1): HttpsEndpoint {
    if (!this.cert) throw new Error("the cluster is not formed yet");
    const m = this.member(i);
    return { kind: "https", url: m.url, clientCert: this.cert.cert, clientKey: this.cert.key, serverCert: this.serverCert(), defaultProject: "default" };
  }

  /**
   * An incus CLI config dir (`INCUS_CONF`, a stack's `incus:configDir`) whose remote `cluster` (the default) is member
   * `i`'s HTTPS address, with the trusted client certificate and the pinned cluster certificate.
   */
  writeConfigDir(dir: string, i = 1): string {
    const e = this.endpoint(i);
    fs.mkdirSync(path.join(dir, "servercerts"), { recursive: true });
    fs.writeFileSync(path.join(dir, "config.yml"), `default-remote: cluster\nremotes:\n  cluster:\n    addr: ${e.url}\n    protocol: incus\n`);
    fs.writeFileSync(path.join(dir, "client.crt"), e.clientCert!);
    fs.writeFileSync(path.join(dir, "client.key"), e.clientKey!, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "servercerts", "cluster.crt"), e.serverCert!);
    return dir;
  }

  /** A client for the cluster through member `i`'s HTTPS address, with the trusted client certificate. */
  client(i = 1): IncusClient {
    return new IncusClient(this.endpoint(i));
  }

  /** Resident memory of each running member, MiB (from /proc). */
  rssMiB(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const m of this.members) {
      const pid = m.daemon.pid;
      if (!pid) continue;
      const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      out[m.name] = Math.round(kb / 1024);
    }
    return out;
  }

  /**
   * Stops every member (incusd shutdown, all at once: a member waits for the others' database otherwise; a member a
   * test left killed is started again first so it stops its instances) and removes the folders.
   */
  async destroy(): Promise<void> {
    await closeAllPools();
    await Promise.all(this.members.map((m) => m.daemon.destroy()));
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
