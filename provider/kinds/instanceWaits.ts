// An instance's `waitFor`: what must hold before `up` goes on (running, an address on a NIC, the guest's Ready),
// each within its own timeout. Part of the Instance kind's content (instanceContent.ts).
import { z } from "zod";
import type { Context, Live } from "../engine/kind";
import { encode } from "./common";

export const seconds = z.number().int().min(1, "at least 1 second").max(86_400, "at most 86400 seconds (a day)");
const DEFAULT_WAIT_S = 300;

const waitSpec = z.strictObject({
  /** Seconds to wait before the step fails (default 300). The instance stays in state with the reason. */
  timeout: seconds.optional(),
});

export const waitForSchema = z.strictObject({
  /** Wait until the instance is running. */
  running: waitSpec.optional(),
  /**
   * Wait until the guest reports Ready through the guest API: a process in the instance sends
   * `PATCH /1.0 {"state":"Ready"}` on `/dev/incus/sock` (e.g. `incus-ready` in the Debian test image).
   */
  ready: waitSpec.optional(),
  /** Wait until each named NIC has a global address of the family. */
  addresses: z
    .array(
      waitSpec.extend({
        /** The interface name inside the instance (e.g. `eth0`). */
        nic: z.string().min(1),
        family: z.enum(["ipv4", "ipv6"]),
      }),
    )
    .optional(),
});
export type WaitFor = z.output<typeof waitForSchema>;

interface Wait {
  what: string;
  timeoutS: number;
  met(live: Live): boolean;
}

function addressesOf(live: Live, nic: string, family: "ipv4" | "ipv6"): string[] {
  const net = (live.state as { network?: Record<string, { addresses?: { family: string; address: string; scope: string }[] }> } | undefined)?.network;
  return (net?.[nic]?.addresses ?? []).filter((a) => a.family === (family === "ipv4" ? "inet" : "inet6") && a.scope === "global").map((a) => a.address);
}

const RUNNING_NOW = new Set(["Running", "Ready"]);

function waitsOf(w: WaitFor | undefined): Wait[] {
  if (!w) return [];
  const waits: Wait[] = [];
  if (w.running)
    waits.push({
      what: "waitFor.running: the instance is not running",
      timeoutS: w.running.timeout ?? DEFAULT_WAIT_S,
      met: (l) => RUNNING_NOW.has(String(l.status)),
    });
  for (const a of w.addresses ?? []) {
    waits.push({
      what: `waitFor.addresses: ${a.nic} has no ${a.family} address`,
      timeoutS: a.timeout ?? DEFAULT_WAIT_S,
      met: (l) => addressesOf(l, a.nic, a.family).length > 0,
    });
  }
  if (w.ready)
    waits.push({ what: "waitFor.ready: the guest has not reported Ready", timeoutS: w.ready.timeout ?? DEFAULT_WAIT_S, met: (l) => l.status === "Ready" });
  return waits;
}

/** The preview's lines for the waits: one for each that the live instance does not meet yet. */
export function unmetWaits(w: WaitFor | undefined, live: Live): string[] {
  return waitsOf(w)
    .filter((x) => !x.met(live))
    .map((x) => x.what);
}

/**
 * Waits until every wait is met: re-reads the instance on each of its lifecycle events (instance-started,
 * instance-ready, …) and, as the fallback for lost events and for addresses (no event announces them), on a timer
 * that backs off from 0.5 s to 5 s. Returns the last live object read.
 */
export async function waitUntilMet(
  ctx: Context,
  inputs: { name: string; waitFor?: WaitFor },
  path: string,
  query: Record<string, string | number>,
  live: Live,
): Promise<Live> {
  const pending = waitsOf(inputs.waitFor).filter((w) => !w.met(live));
  if (!pending.length) return live;
  const started = Date.now();
  let wake: (() => void) | undefined;
  const source = `/1.0/instances/${encode(inputs.name)}`;
  const sub = ctx.client.subscribe({ types: ["lifecycle"], project: ctx.project }, (event) => {
    const m = event.metadata as { source?: string } | null | undefined;
    if (m?.source === source) wake?.();
  });
  await sub.ready.catch(() => undefined); // without the stream, the timer alone drives the checks
  try {
    let delay = 500;
    for (;;) {
      live = (await ctx.client.get<Live>(path, { project: ctx.project, query })).value;
      const stillPending = pending.filter((w) => !w.met(live));
      if (!stillPending.length) return live;
      const elapsed = Date.now() - started;
      const late = stillPending.find((w) => elapsed >= w.timeoutS * 1000);
      if (late) throw new Error(`${late.what} after ${late.timeoutS} s (status ${String(live.status)})`);
      const untilTimeout = Math.min(...stillPending.map((w) => w.timeoutS * 1000 - elapsed));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, Math.min(delay, untilTimeout)));
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
      delay = Math.min(delay * 2, 5_000);
    }
  } finally {
    sub();
  }
}
