// An instance's running state: whether it runs, starting and stopping it, and the addresses its interfaces report.
// Part of the Instance kind (instance.ts); takes only the fields it reads, so it needs nothing from the kind's module.
import { isNotFound, operationGone } from "../client";
import { type Context, type Live, liveMap } from "../engine/kind";
import { encode } from "./common";

const RUNNING = new Set(["Running", "Ready", "Frozen", "Starting"]);

export const instancePath = (i: { name: string }) => `/1.0/instances/${encode(i.name)}`;
export const isRunning = (live: Live) => RUNNING.has(String(live.status));

/** A network device, or interfaces set up through raw.lxc: only then can the instance have addresses to report. */
export const hasInterfaces = (live: Live) =>
  Object.values((live.expanded_devices ?? {}) as Record<string, Record<string, string>>).some((d) => d.type === "nic" || d.type === "infiniband") ||
  /lxc\.net\./.test(liveMap(live.expanded_config)["raw.lxc"] ?? "");

/** Addresses of the running instance's interfaces (not the loopback interface, not link-local), from its state. */
export function addresses(live: Live): { ipv4Addresses: string[]; ipv6Addresses: string[] } {
  const out = { ipv4Addresses: [] as string[], ipv6Addresses: [] as string[] };
  const network = (live.state as { network?: Record<string, { addresses?: { address: string; family: string; scope: string }[] }> } | undefined)?.network ?? {};
  for (const [iface, nic] of Object.entries(network)) {
    if (iface === "lo") continue;
    for (const a of nic.addresses ?? []) {
      if (a.scope === "link") continue;
      (a.family === "inet" ? out.ipv4Addresses : out.ipv6Addresses).push(a.address);
    }
  }
  return out;
}

export async function setState(ctx: Context, inputs: { name: string; stopTimeout?: number }, action: "start" | "stop"): Promise<void> {
  const body: Record<string, unknown> = { action };
  // An explicit timeout of 0 means "kill now" to Incus; a graceful stop gets the program's timeout.
  if (action === "stop") body.timeout = inputs.stopTimeout ?? 30;
  try {
    await ctx.client.put(`${instancePath(inputs)}/state`, body, { project: ctx.project, timeoutMs: ((inputs.stopTimeout ?? 30) + 60) * 1000 });
  } catch (err) {
    // Its operation was gone before its end was read (a loaded provider asked too late): the instance says how it went.
    if (operationGone(err) && (await statusOf(ctx, inputs)) === (action === "start" ? "Running" : "Stopped")) return;
    if (action !== "stop" || isNotFound(err)) throw err;
    // A guest that ignores the shutdown request is killed.
    await ctx.client.put(`${instancePath(inputs)}/state`, { action: "stop", force: true }, { project: ctx.project });
  }
}

async function statusOf(ctx: Context, inputs: { name: string }): Promise<string | undefined> {
  const res = await ctx.client.get<{ status?: string }>(instancePath(inputs), { project: ctx.project }).catch(() => undefined);
  return res?.value.status;
}
