// Cluster member: what a program may own on a member that has already joined the cluster (description, failure
// domain, groups, config) and whether it is evacuated. Joining and removing members stay outside the program, so a
// "create" takes the existing member over and a delete leaves it in the cluster, with what the program set given
// back (and restored, if the program evacuated it). The member's roles are the database's business: read back as an
// output, never declared; every PUT (If-Match) carries them over, since Incus refuses to drop the `database` role.
import { z } from "zod";
import { isNotFound, settledWrite } from "../client";
import { configMap, isUnknown, objectName, shown } from "../engine/inputs";
import { type Context, defineKind, type Live, liveMap, liveString, liveStrings } from "../engine/kind";
import { nameSet } from "./clusterGroup";
import { description, encode, globalFields } from "./common";

const { remote, socket, configDir } = globalFields();

export const clusterMemberSchema = z.strictObject({
  name: objectName.describe("The member's name in the cluster (its `server_name`). It must have joined already. Default: the Pulumi logical name."),
  remote,
  socket,
  configDir,
  description,
  failureDomain: z.string().min(1).optional().describe("The member's failure domain (for placement and database roles). Default: `default`."),
  groups: nameSet("group")
    .optional()
    .describe("The cluster groups the member belongs to (each must exist; a member is always in at least one). Default: `default` only."),
  config: configMap.optional().describe("Member config, e.g. `scheduler.instance` (`all`, `group`, `manual`) and `user.*` keys."),
  evacuated: z
    .boolean()
    .optional()
    .describe(
      "`true` evacuates the member (its instances move to other members, or stop, per their `cluster.evacuate`); `false` restores it. Default: left as it is.",
    ),
});
export type ClusterMemberInputs = z.output<typeof clusterMemberSchema>;

const memberPath = (i: { name: string }) => `/1.0/cluster/members/${encode(i.name)}`;
const isEvacuated = (live: Live) => liveString(live.status) === "Evacuated";

async function setEvacuated(ctx: Context, name: string, evacuated: boolean): Promise<void> {
  // Its operation gone before its end was read: the member's status says whether it happened.
  await settledWrite(
    () => ctx.client.post(`${memberPath({ name })}/state`, { action: evacuated ? "evacuate" : "restore" }, { project: null }),
    async () => {
      const status = liveString((await ctx.client.get<Live>(memberPath({ name }), { project: null })).value.status);
      return status === (evacuated ? "Evacuated" : "Online") ? true : status === (evacuated ? "Online" : "Evacuated") ? false : undefined;
    },
  );
}

/** Why a member cannot be taken over (not a cluster, or no such member); undefined when it can. */
async function noSuchMember(ctx: Context, name: string): Promise<string | undefined> {
  if (isUnknown(name)) return undefined;
  try {
    await ctx.client.get(memberPath({ name }), { project: null });
    return undefined;
  } catch (err) {
    if (!isNotFound(err) && !/not clustered/i.test((err as Error).message)) throw err;
    return (
      `no cluster member "${name}" on this server: a ClusterMember manages a member that has joined already ` +
      `(join it outside the program: \`incus cluster add ${name}\`, then \`incus admin init\` on the member)`
    );
  }
}

export const clusterMember = defineKind({
  type: "ClusterMember",
  schema: clusterMemberSchema,
  scoped: false,
  requires: ["clustering"],
  path: (i) => memberPath(i),
  renamable: false,
  listable: true,
  // A listed member carries its name as `server_name`.
  listKey: { input: "name", api: "server_name" },
  fields: {
    description: { mode: "update", empty: "" },
    failureDomain: { mode: "update", api: "failure_domain", empty: "default" },
    groups: { mode: "update", empty: ["default"], fromLive: (v) => [...liveStrings(v)].sort() },
    config: { mode: "update", empty: {} },
  },
  put: { extras: ["roles"] },
  outputKeys: ["status", "url", "roles", "architecture", "message"],
  outputs: (live) => ({
    status: liveString(live.status),
    url: liveString(live.url),
    roles: liveStrings(live.roles),
    architecture: liveString(live.architecture),
    message: liveString(live.message),
  }),

  // Adopt-only: the member must be there already (said in the preview); nothing is sent (the engine then PUTs the
  // program's fields).
  async conflictAtCheck(ctx, inputs) {
    const missing = await noSuchMember(ctx, inputs.name);
    return missing ? { property: "name", reason: missing } : undefined;
  },
  async create(ctx, inputs) {
    const missing = await noSuchMember(ctx, inputs.name);
    if (missing) throw new Error(missing);
  },

  beyondFields: {
    diff: (inputs, live) =>
      inputs.evacuated === undefined || inputs.evacuated === isEvacuated(live)
        ? []
        : [`evacuated: server has ${shown(isEvacuated(live))} (${liveString(live.status)}), program wants ${shown(inputs.evacuated)}`],
    apply: (ctx, inputs) => setEvacuated(ctx, inputs.name, inputs.evacuated!),
  },

  // The member stays in the cluster: what the program set goes back to what a member that joins has.
  async delete(ctx, inputs, live) {
    await ctx.client.update<Live>(
      memberPath(inputs),
      (l) => {
        const config = { ...liveMap(l.config) };
        for (const key of Object.keys(inputs.config ?? {})) delete config[key];
        const kept = liveStrings(l.groups).filter((g) => g === "default" || !inputs.groups?.includes(g));
        return {
          roles: l.roles,
          description: inputs.description !== undefined ? "" : l.description,
          failure_domain: inputs.failureDomain !== undefined ? "default" : l.failure_domain,
          groups: inputs.groups !== undefined ? (kept.length ? kept : ["default"]) : l.groups,
          config,
        };
      },
      { project: null },
    );
    if (inputs.evacuated === true && isEvacuated(live)) await setEvacuated(ctx, inputs.name, false);
  },

  lookup: {
    list: {
      filters: z.strictObject({
        group: z.string().optional().describe("Only members of this cluster group."),
        status: z.string().optional().describe("Only members in this state, e.g. `Online` or `Evacuated` (any case)."),
        role: z.string().optional().describe("Only members with this role, e.g. `database-leader`."),
      }),
      matches: (live, f: { group?: string; status?: string; role?: string }) =>
        (f.group === undefined || liveStrings(live.groups).includes(f.group)) &&
        (f.status === undefined || liveString(live.status).toLowerCase() === f.status.toLowerCase()) &&
        (f.role === undefined || liveStrings(live.roles).includes(f.role)),
    },
  },
  docs: {
    summary:
      "What a program manages on a member of an Incus cluster that has joined already: description, failure domain, groups, config, and evacuation (`evacuated`). Joining and removing members stay outside the program: create takes the member over, and destroy leaves it in the cluster with what the program set given back.",
    outputs: {
      status: "The member's status (`Online`, `Evacuated`, `Offline`, …).",
      url: "The member's cluster address (`https://…:8443`).",
      roles: "The member's database roles (`database-leader`, `database`, `database-standby`, …), as the cluster assigns them.",
      architecture: "The member's architecture (e.g. `x86_64`).",
      message: "The member's status message (e.g. `Fully operational`).",
    },
    table: { identity: "(a member that has joined; adopt-only)", replaced: "(members are not renamed by programs)" },
  },
  example: {
    args: { name: "node1", description: "rack 1", failureDomain: "rack1" },
    program: `
const node1 = new incus.ClusterMember("node1", {
  description: "rack 1",
  failureDomain: "rack1",
  groups: ["default", "web"],
  evacuated: false,
});
`,
  },
});
