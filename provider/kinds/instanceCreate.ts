// How an instance is made: the create request's body and where it goes (on a cluster, the member or group the
// program places it on), and the start after create on a server that ignores `start` in that request (LXD).
import type { Context } from "../engine/kind";
import { serverOf } from "../engine/server";
import type { InstanceInputs } from "./instance";
import { setState } from "./instanceState";

const looksLikeFingerprint = (s: string) => /^[0-9a-f]{12,64}$/.test(s);

/** Where a create goes: on a cluster, to the member or group the program places it on. */
export const instancesAt = (i: InstanceInputs): string => (i.target ? `/1.0/instances?target=${encodeURIComponent(i.target)}` : "/1.0/instances");

export function createBody(i: InstanceInputs): Record<string, unknown> {
  let source: Record<string, unknown>;
  if (i.copyFrom) {
    const from = i.copyFrom;
    source = { type: "copy", source: from.snapshot ? `${from.instance}/${from.snapshot}` : from.instance, instance_only: true };
    if (from.project) source.project = from.project;
  } else {
    source = { type: "image" };
    source[looksLikeFingerprint(i.image!) ? "fingerprint" : "alias"] = i.image;
    if (i.imageServer) Object.assign(source, { server: i.imageServer, protocol: i.imageProtocol ?? "simplestreams", mode: "pull" });
  }
  return {
    name: i.name,
    type: i.type ?? "container",
    source,
    ...(i.profiles ? { profiles: i.profiles } : {}),
    // A copy takes the source's config and devices unless the program sets its own.
    ...(i.config || !i.copyFrom ? { config: i.config ?? {} } : {}),
    ...(i.devices || !i.copyFrom ? { devices: i.devices ?? {} } : {}),
    description: i.description ?? "",
    ephemeral: i.ephemeral ?? false,
    // Started by the create operation itself (one request, as the CLI does), unless files must be pushed before the
    // first start (beyondFields.apply starts it then). When the start fails, Incus keeps the created instance and fails
    // the operation: the engine then records it (created but not ready).
    start: (i.running ?? true) && !i.files,
  };
}

// LXD accepts `start` in the create request and ignores it (the instance stays stopped): on a server without
// instance_create_start the instance is created stopped and started by the next request. A failed start leaves the
// instance created, as on Incus (the engine records it).
export async function createInstance(ctx: Context, i: InstanceInputs): Promise<void> {
  const body = createBody(i);
  const startsItself = !body.start || (await serverOf(ctx.client)).extensions.has("instance_create_start");
  await ctx.client.post(instancesAt(i), startsItself ? body : { ...body, start: false }, { project: ctx.project });
  if (!startsItself) await setState(ctx, i, "start");
}
