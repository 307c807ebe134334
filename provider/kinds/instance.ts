// Instance: project-scoped. Created from an image (an Image resource's fingerprint, a local alias or fingerprint,
// or an image server), with profiles (order kept), config and devices. `running` is desired state. Incus keeps
// runtime state in config (volatile.*, image.*): never diffed, always carried over in PUTs. Renames and keys that
// only take effect at start need the instance stopped: it is stopped, changed, and started again.
import { z } from "zod";
import { isNotFound } from "../client";
import { configMap, deviceMap, hostName, objectName } from "../engine/inputs";
import { type Context, defineKind, type Live, liveMap, liveString } from "../engine/kind";
import { encode, scopedFields } from "./common";

const RUNNING = new Set(["Running", "Ready", "Frozen", "Starting"]);
/** Keys Incus accepts on a running container but only applies when it starts. */
const APPLIED_AT_START = [/^raw\./, /^security\.privileged$/, /^security\.idmap\./, /^security\.nesting$/, /^linux\.kernel_modules$/];
const serverKey = (k: string) => k.startsWith("volatile.") || k.startsWith("image.");

export const instanceSchema = z
  .strictObject({
    ...scopedFields(hostName),
    image: z.string().min(1).describe("The image to create it from: an Image resource's `fingerprint`, or an alias or fingerprint in the instance's project (or on `imageServer`)."),
    imageServer: z.url({ protocol: /^https?$/ }).optional().describe("Take the image from this image server instead of the local store."),
    imageProtocol: z
      .enum(["simplestreams", "incus"])
      .optional()
      .describe("The protocol of `imageServer`. Default: `simplestreams`. Only used when the instance is created."),
    type: z.enum(["container", "virtual-machine"]).optional().describe("Container or virtual machine. Default: `container`."),
    description: z.string().optional().describe("Free-text description of the instance. Default: empty."),
    profiles: z.array(objectName).optional().describe("Profiles applied in this order (later ones win). Default: Incus's (`[\"default\"]`)."),
    config: configMap.optional().describe("Instance config, e.g. `limits.cpu`, `security.nesting`; numbers and booleans are sent as strings. Keys that Incus applies only at start restart a running instance. Keys the program never set are left alone; keys it stops setting are removed."),
    devices: deviceMap.optional().describe("Devices by name, each a `type` (disk, nic, proxy, …) and its options; they add to and override the profiles' devices."),
    ephemeral: z.boolean().optional().describe("Delete the instance when it stops (so it cannot be combined with `running: false`). Default: `false`."),
    running: z.boolean().optional().describe("Desired state: running or stopped. Default: `true`. A change starts or stops the instance."),
    stopTimeout: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("Seconds a graceful stop may take before the instance is killed. Default: `30`. A change is saved and sends nothing to Incus."),
  })
  .superRefine((i, ctx) => {
    if (i.imageProtocol && !i.imageServer) ctx.addIssue({ code: "custom", path: ["imageProtocol"], message: "only meaningful with `imageServer`" });
    if (i.ephemeral && i.running === false) {
      ctx.addIssue({ code: "custom", path: ["running"], message: "an ephemeral instance is deleted by Incus when it stops, so it cannot be kept stopped; drop `running: false` or `ephemeral: true`" });
    }
  });
export type InstanceInputs = z.output<typeof instanceSchema>;

/** Addresses of the running instance's interfaces (not the loopback interface, not link-local), from its state. */
function addresses(live: Live): { ipv4Addresses: string[]; ipv6Addresses: string[] } {
  const out = { ipv4Addresses: [] as string[], ipv6Addresses: [] as string[] };
  const network = ((live.state as { network?: Record<string, { addresses?: { address: string; family: string; scope: string }[] }> } | undefined)?.network) ?? {};
  for (const [iface, nic] of Object.entries(network)) {
    if (iface === "lo") continue;
    for (const a of nic.addresses ?? []) {
      if (a.scope === "link") continue;
      (a.family === "inet" ? out.ipv4Addresses : out.ipv6Addresses).push(a.address);
    }
  }
  return out;
}

const instancePath = (i: InstanceInputs) => `/1.0/instances/${encode(i.name)}`;
const isRunning = (live: Live) => RUNNING.has(String(live.status));
const looksLikeFingerprint = (s: string) => /^[0-9a-f]{12,64}$/.test(s);

async function setState(ctx: Context, inputs: InstanceInputs, action: "start" | "stop"): Promise<void> {
  const body: Record<string, unknown> = { action };
  // An explicit timeout of 0 means "kill now" to Incus; a graceful stop gets the program's timeout.
  if (action === "stop") body.timeout = inputs.stopTimeout ?? 30;
  try {
    await ctx.client.put(`${instancePath(inputs)}/state`, body, { project: ctx.project, timeoutMs: ((inputs.stopTimeout ?? 30) + 60) * 1000 });
  } catch (err) {
    if (action !== "stop" || isNotFound(err)) throw err;
    // A guest that ignores the shutdown request is killed.
    await ctx.client.put(`${instancePath(inputs)}/state`, { action: "stop", force: true }, { project: ctx.project });
  }
}

export const instance = defineKind({
  type: "Instance",
  schema: instanceSchema,
  scoped: true,
  path: instancePath,
  collection: () => "/1.0/instances",
  renamable: true,
  identity: ["image", "imageServer"],
  fields: {
    type: { mode: "replace", empty: "container" },
    description: { mode: "update", empty: "" },
    // Without profiles Incus gives an instance the image's, normally ["default"]: that is what "unset" means.
    profiles: { mode: "update", empty: ["default"] },
    config: { mode: "update", empty: {}, serverKeys: serverKey },
    devices: { mode: "update", empty: {} },
    ephemeral: { mode: "update", empty: false },
  },
  // Writable fields the program does not manage: echoed from live so a PUT keeps them.
  putExtras: ["architecture", "stateful"],
  readQuery: { recursion: 1 },
  outputKeys: ["status", "architecture", "location", "imageFingerprint", "createdAt", "ipv4Addresses", "ipv6Addresses"],
  outputs: (live) => ({
    ...addresses(live),
    status: liveString(live.status),
    architecture: liveString(live.architecture),
    location: liveString(live.location),
    imageFingerprint: liveMap(live.config)["volatile.base_image"] ?? "",
    createdAt: liveString(live.created_at),
  }),

  createBody(i) {
    const source: Record<string, unknown> = { type: "image" };
    source[looksLikeFingerprint(i.image) ? "fingerprint" : "alias"] = i.image;
    if (i.imageServer) Object.assign(source, { server: i.imageServer, protocol: i.imageProtocol ?? "simplestreams", mode: "pull" });
    return {
      name: i.name,
      type: i.type ?? "container",
      source,
      ...(i.profiles ? { profiles: i.profiles } : {}),
      config: i.config ?? {},
      devices: i.devices ?? {},
      description: i.description ?? "",
      ephemeral: i.ephemeral ?? false,
      start: false, // started in a step of its own, so a start failure leaves a known, recorded instance
    };
  },

  extraDiff(inputs, live) {
    const want = inputs.running ?? true;
    return want === isRunning(live) ? [] : [`running: server has ${isRunning(live)} (${live.status}), program wants ${want}`];
  },

  async applyExtra(ctx, inputs) {
    await setState(ctx, inputs, inputs.running ?? true ? "start" : "stop");
  },

  async aroundUpdate(ctx, before, after, live, changed) {
    if (!isRunning(live)) return undefined;
    // Only a config the program manages can change a start-time key; keys set by others are left as they are.
    const desired = after.config;
    const current = liveMap(live.config);
    const atStart =
      desired !== undefined &&
      Object.keys({ ...desired, ...current }).some(
        (k) => desired[k] !== current[k] && !serverKey(k) && APPLIED_AT_START.some((re) => re.test(k)),
      );
    if (!changed.includes("name") && !atStart) return undefined;
    await setState(ctx, before, "stop");
    return async () => {
      if (after.running ?? true) await setState(ctx, after, "start");
    };
  },

  async delete(ctx, inputs, live) {
    if (isRunning(live)) await setState(ctx, inputs, "stop");
    try {
      await ctx.client.delete(instancePath(inputs), { project: ctx.project });
    } catch (err) {
      if (!isNotFound(err)) throw err; // an ephemeral instance is gone once stopped
    }
  },
});

/** Docs of the SDK class and its outputs (field docs are on the schema); scripts/generate-sdk.ts reads them. */
export const instanceDocs = {
  summary: "An Incus instance (container or virtual machine), created from an image and kept running (or stopped) as the program says. Lives in a project.",
  outputs: {
    status: "The server's status of the instance (`Running`, `Stopped`, …).",
    architecture: "The instance's architecture (e.g. `x86_64`).",
    location: "The cluster member running the instance (`none` outside a cluster).",
    imageFingerprint: "Fingerprint of the image the instance was created from.",
    createdAt: "When Incus created the instance (RFC 3339).",
    ipv4Addresses: "IPv4 addresses of the running instance's interfaces (not loopback, not link-local).",
    ipv6Addresses: "IPv6 addresses of the running instance's interfaces (not loopback, not link-local).",
  },
};
