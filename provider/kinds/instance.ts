// Instance: project-scoped. Created from an image (an Image resource's fingerprint, a local alias or fingerprint,
// or an image server), with profiles (order kept), config and devices. `running` is desired state. Incus keeps
// runtime state in config (volatile.*, image.*): never diffed, always carried over in PUTs. Renames and keys that
// only take effect at start need the instance stopped: it is stopped, changed, and started again.
// Its files, waits and commands: instanceContent.ts; starting, stopping and addresses: instanceState.ts.
import { z } from "zod";
import { isNotFound } from "../client";
import { configMap, deviceMap, hostName, objectName, shown } from "../engine/inputs";
import { placementTarget } from "../engine/target";
import { defineKind, liveMap, liveString } from "../engine/kind";
import { guestApiKey, scopedFields } from "./common";
import { commandsSchema } from "./instanceCommands";
import { createBody, createInstance, instancesAt } from "./instanceCreate";
import { applyContent, beforeStart, contentDiff, contentOutputs } from "./instanceContent";
import { filesSchema } from "./instanceFiles";
import { moveToTarget, placementDiff } from "./instancePlacement";
import { addresses, hasInterfaces, instancePath, isRunning, setState } from "./instanceState";
import { waitForSchema } from "./instanceWaits";

/** Keys Incus accepts on a running container but only applies when it starts. */
const APPLIED_AT_START = [/^raw\./, /^security\.privileged$/, /^security\.idmap\./, /^security\.nesting$/, /^linux\.kernel_modules$/];
const serverKey = (k: string) => k.startsWith("volatile.") || k.startsWith("image.");

export const instanceSchema = z
  .strictObject({
    ...scopedFields(hostName),
    image: z
      .string()
      .min(1)
      .optional()
      .describe(
        "The image to create it from: an Image resource's `fingerprint`, or an alias or fingerprint in the instance's project (or on `imageServer`). Give this or `copyFrom`.",
      ),
    copyFrom: z
      .strictObject({
        instance: hostName.describe("The source instance's name."),
        snapshot: objectName.optional().describe("One of its snapshots, instead of its current state."),
        project: z.string().min(1).optional().describe("The source's project. Default: the new instance's project."),
      })
      .optional()
      .describe(
        "Create the instance as a copy of another instance (or of one of its snapshots) instead of from an image. The copy keeps the source's config, devices and profiles where the program sets none. Another source replaces the instance.",
      ),
    imageServer: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Take the image from this image server instead of the local store."),
    imageProtocol: z
      .enum(["simplestreams", "incus"])
      .optional()
      .describe("The protocol of `imageServer`. Default: `simplestreams`. Only used when the instance is created."),
    type: z.enum(["container", "virtual-machine"]).optional().describe("Container or virtual machine. Default: `container`."),
    target: placementTarget
      .optional()
      .describe(
        "On a cluster: the member to run the instance on, or `@<group>` for any member of that cluster group. Default: the member Incus's scheduler picks. A change moves the instance (stopped, moved, started again), never replaces it; where the scheduler or the group put it is no change while that member satisfies the target. Refused on a server that is not clustered. `pulumi import` id `/1.0/instances/<name>?target=<member or @group>` declares where it runs (the import fails when it runs elsewhere).",
      ),
    description: z.string().optional().describe("Free-text description of the instance. Default: empty."),
    profiles: z.array(objectName).optional().describe('Profiles applied in this order (later ones win). Default: Incus\'s (`["default"]`).'),
    config: configMap
      .optional()
      .describe(
        "Instance config, e.g. `limits.cpu`, `security.nesting`; numbers and booleans are sent as strings. Keys that Incus applies only at start restart a running instance. Keys the program never set are left alone; keys it stops setting are removed.",
      ),
    devices: deviceMap
      .optional()
      .describe("Devices by name, each a `type` (disk, nic, proxy, …) and its options; they add to and override the profiles' devices."),
    ephemeral: z.boolean().optional().describe("Delete the instance when it stops (so it cannot be combined with `running: false`). Default: `false`."),
    running: z.boolean().optional().describe("Desired state: running or stopped. Default: `true`. A change starts or stops the instance."),
    stopTimeout: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("Seconds a graceful stop may take before the instance is killed. Default: `30`. A change is saved and sends nothing to Incus."),
    waitFor: waitForSchema
      .optional()
      .describe(
        "`up` returns (and outputs resolve) only once these are met, each within its own timeout: running, an address on a NIC, the guest's Ready. A wait that times out fails the step and keeps the instance in state.",
      ),
    files: filesSchema
      .optional()
      .describe(
        "Files in the instance, by absolute path: pushed before the first start and whenever the program's content changes; a file changed or deleted inside the instance shows as drift and is put back; a path removed from the program is deleted from the instance. Missing parent directories are created (mode 0755).",
      ),
    commands: commandsSchema
      .optional()
      .describe(
        "Commands run in the instance after its files and waits, by name: at create (and when changed or after a failure), after every update, or on every `up` (`when`). A change of one of its `triggers` runs it again. A non-zero exit fails the step with the exit code and the end of the output (withheld when the instance has secret inputs); results, failed ones included, are in the secret `commandResults` output.",
      ),
  })
  .superRefine((i, ctx) => {
    if (i.imageProtocol && !i.imageServer) ctx.addIssue({ code: "custom", path: ["imageProtocol"], message: "only meaningful with `imageServer`" });
    if ((i.image === undefined) === (i.copyFrom === undefined))
      ctx.addIssue({ code: "custom", path: ["image"], message: "set exactly one of `image` and `copyFrom`" });
    if (i.copyFrom && i.imageServer) ctx.addIssue({ code: "custom", path: ["imageServer"], message: "only meaningful with `image`" });
    if (i.ephemeral && i.running === false) {
      ctx.addIssue({
        code: "custom",
        path: ["running"],
        message: "an ephemeral instance is deleted by Incus when it stops, so it cannot be kept stopped; drop `running: false` or `ephemeral: true`",
      });
    }
  });
export type InstanceInputs = z.output<typeof instanceSchema>;

export const instance = defineKind({
  type: "Instance",
  schema: instanceSchema,
  scoped: true,
  path: (i: InstanceInputs) => instancePath(i),
  collection: instancesAt,
  renamable: true,
  identity: ["image", "imageServer", "copyFrom"],
  clusterTarget: "placement",
  // LXD 5.0 has no guest Ready state, and names the guest API key `security.devlxd` (engine/server.ts).
  fieldRequires: { "waitFor.ready": "instance_ready_state" },
  onServer: (server, i) => guestApiKey(server, i),
  configKeys: { config: "instance" },
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
  put: { extras: ["architecture", "stateful"] },
  listable: true,
  lookup: {
    // What a program would declare for it (pulumi import, pulumi-incus generate): the image it was made from, and
    // whether it runs (only a stopped one says so: running is the default).
    fields: {
      image: (live) => liveMap(live.config)["volatile.base_image"] || undefined,
      running: (live) => (isRunning(live) ? undefined : false),
    },
    list: {
      filters: z.strictObject({
        namePrefix: z.string().optional().describe("Only instances whose name starts with this."),
        status: z.string().optional().describe("Only instances in this state, e.g. `Running` or `Stopped` (any case)."),
        type: z.enum(["container", "virtual-machine"]).optional().describe("Only containers or only virtual machines."),
        config: z
          .record(z.string(), z.string())
          .optional()
          .describe('Only instances whose own config has all these keys with these values (e.g. `{ "user.role": "web" }`).'),
      }),
      // Their state (addresses) comes in the same request: no request per instance.
      recursion: 2,
      matches: (live, f: { namePrefix?: string; status?: string; type?: string; config?: Record<string, string> }) =>
        String(live.name).startsWith(f.namePrefix ?? "") &&
        (f.status === undefined || liveString(live.status).toLowerCase() === f.status.toLowerCase()) &&
        (f.type === undefined || live.type === f.type) &&
        Object.entries(f.config ?? {}).every(([k, v]) => liveMap(live.config)[k] === v),
    },
  },
  // Reading an instance's state costs Incus ~90 ms of work per instance here (its GET with recursion=1 the same),
  // against ~3 ms for the instance itself: diff never asks for it, and outputs ask only when there can be an
  // address to report, i.e. the instance runs and has a network interface.
  async details(ctx, live) {
    // A list with recursion=2 (getInstances) brings the state along.
    if (!isRunning(live) || !hasInterfaces(live) || live.state) return live;
    try {
      const state = await ctx.client.get(`${instancePath({ name: String(live.name) })}/state`, { project: ctx.project });
      return { ...live, state: state.value };
    } catch (err) {
      if (isNotFound(err)) return live;
      throw err;
    }
  },
  outputKeys: ["status", "architecture", "location", "imageFingerprint", "createdAt", "ipv4Addresses", "ipv6Addresses", "fileDigests", "commandResults"],
  // Digests of the files' contents (which may be secret) are kept secret in state. So is what commands print, always:
  // it may hold part of a secret (a line of a secret file), or one the program never marked (a generated password,
  // a file from the image), which hiding whole known values cannot catch; and "always" is a rule the SDK (fixed
  // additionalSecretOutputs) and the YAML plugin apply alike, before any input's secretness is known.
  secretOutputs: ["fileDigests", "commandResults"],
  derivedSecretOutputs: ["fileDigests", "commandResults"],
  stackOutputs: ["fileDigests", "commandResults"],
  outputs: (live, inputs) => ({
    ...contentOutputs(inputs),
    ...addresses(live),
    status: liveString(live.status),
    architecture: liveString(live.architecture),
    location: liveString(live.location),
    imageFingerprint: liveMap(live.config)["volatile.base_image"] ?? "",
    createdAt: liveString(live.created_at),
  }),

  createBody,

  create: createInstance,

  // Running or stopped: desired state that is no field.
  beyondFields: {
    diff(inputs, live) {
      const want = inputs.running ?? true;
      return want === isRunning(live) ? [] : [`running: server has ${isRunning(live)} (${live.status}), program wants ${shown(want)}`];
    },
    async apply(ctx, inputs) {
      const start = inputs.running ?? true;
      if (start) await beforeStart(ctx, inputs);
      await setState(ctx, inputs, start ? "start" : "stop");
    },
  },

  // Its place on a cluster (instancePlacement.ts), then its files, waits and commands.
  content: {
    diff: async (ctx, news, olds, live) => [...(await placementDiff(ctx, news, live)), ...(await contentDiff(ctx, news, olds, live))],
    apply: async (ctx, inputs, live, olds) =>
      applyContent(ctx, inputs, await moveToTarget(ctx, inputs, live), olds, { path: instancePath(inputs), query: { recursion: 1 } }),
  },

  async aroundUpdate(ctx, before, after, live, changed) {
    if (!isRunning(live)) return undefined;
    // Only a config the program manages can change a start-time key; keys set by others are left as they are.
    const desired = after.config;
    const current = liveMap(live.config);
    const atStart =
      desired !== undefined &&
      Object.keys({ ...desired, ...current }).some((k) => desired[k] !== current[k] && !serverKey(k) && APPLIED_AT_START.some((re) => re.test(k)));
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
  docs: {
    summary: "An Incus instance (container or virtual machine), created from an image and kept running (or stopped) as the program says. Lives in a project.",
    outputs: {
      status: "The server's status of the instance (`Running`, `Stopped`, …).",
      architecture: "The instance's architecture (e.g. `x86_64`).",
      location: "The cluster member running the instance (`none` outside a cluster).",
      imageFingerprint: "Fingerprint of the image the instance was created from.",
      createdAt: "When Incus created the instance (RFC 3339).",
      ipv4Addresses: "IPv4 addresses of the running instance's interfaces (not loopback, not link-local).",
      ipv6Addresses: "IPv6 addresses of the running instance's interfaces (not loopback, not link-local).",
      fileDigests: "For each file of `files`: the digest, size and time of what was pushed (kept secret in state: contents may be).",
      commandResults:
        "For each command of `commands`: its exit code, the end of its output (the program's secret values replaced by `[secret]`) and a digest of the command as it ran; a failed run stays until the command runs again. Always a secret output: output may hold parts of secrets.",
    },
    outputTypes: {
      fileDigests: "Record<string, { sha256: string; modified?: string; size?: number }>",
      commandResults: "Record<string, { exitCode: number; stdout: string; stderr: string; digest?: string }>",
    },
    table: { inPlace: "(profiles: order kept) and running, files, commands, waitFor" },
  },
  example: {
    args: { name: "web", image: "busybox" },
    program: `
const web = new incus.Instance("web", {
  image: "busybox",
  profiles: ["default"],
  config: { "limits.cpu": 1 },
  files: { "/etc/motd": { content: "hello\\n" } },
});
`,
  },
});
