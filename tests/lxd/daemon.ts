// A private LXD 5.0.2 for the LXD suites: Debian's .debs unpacked by scripts/setup-lxd.sh (never installed), run by
// tests/faults/daemon.ts's private-daemon code with its own LXD_DIR, started once per test file and stopped by PID.
// Also what the lifecycle table changes on LXD: the rows of kinds it lacks are left out (their preview is refused).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import type { KindName } from "pulumi-incus/provider";
import { FaultDaemon } from "../faults/daemon";

let root: string | undefined;
/** Where setup-lxd.sh unpacked LXD (it runs in CI's scripts/test.sh too; here it is instant once cached). */
export function lxdRoot(): string {
  root ??= execFileSync("bash", [path.join(__dirname, "..", "..", "scripts", "setup-lxd.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return root;
}

/** A private LXD (`create()` gives it a dir pool `default`, a root disk and the busybox test image; `destroy()` ends it). */
export function lxdDaemon(tag: string, opts: { image?: boolean } = {}): FaultDaemon {
  return new FaultDaemon(`lxd-${tag}`, { lxd: lxdRoot(), image: opts.image ?? false });
}

/** API extensions kinds here need and LXD 5.0.2 does not have (measured: shared reference §2). */
export const LXD_LACKS = ["storage_buckets", "network_load_balancer", "network_integrations"];

type RowLike = { kind: KindName; base: Record<string, unknown> };

const lacking = (kind: KindName): boolean => {
  const { kinds } = require("pulumi-incus/provider") as typeof import("pulumi-incus/provider");
  return ((kinds[kind] as { requires?: string[] }).requires ?? []).some((ext) => LXD_LACKS.includes(ext));
};

/**
 * The lifecycle rows LXD has, as LXD 5.0.2 takes them: a certificate there has no description (no
 * certificate_description), so that row changes and drifts `restricted` instead.
 */
export function lxdRows<R extends RowLike>(rows: R[]): R[] {
  return rows
    .filter((r) => !lacking(r.kind))
    .map((r) => {
      if (r.kind !== "Certificate") return r;
      const { description: _d, ...base } = r.base;
      const changes = [{ restricted: false }, { projects: [] }];
      return { ...r, base, changes, driftField: "restricted", driftValue: false, removable: ["restricted", "projects"] };
    });
}

/** The rows of the kinds LXD lacks. */
export function lxdLacks<R extends RowLike>(rows: R[]): R[] {
  return rows.filter((r) => lacking(r.kind));
}
