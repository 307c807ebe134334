// Cluster group: a named set of cluster members, global. Instances are placed on a group with `target: "@<group>"`.
// Incus renames it in place (POST {name}) and keeps the members list in its own order (compared as a set). It
// refuses to delete a group that still has members, so delete empties it first; the `default` group cannot be
// deleted at all: destroy gives its description back.
import { z } from "zod";
import { isUnknown, objectName } from "../engine/inputs";
import { defineKind, type Live, liveStrings } from "../engine/kind";
import { description, encode, globalFields } from "./common";

/** A set of names, in one order on both sides (Incus keeps its own). */
export const nameSet = (what: string) =>
  z.array(z.string().min(1, `${what} names must not be empty`)).transform((names) => (names.some(isUnknown) ? names : [...new Set(names)].sort()));

export const clusterGroupSchema = z.strictObject({
  ...globalFields(objectName),
  description,
  members: nameSet("member")
    .optional()
    .describe("Names of the cluster members in the group (each must exist). A member can be in several groups. Default: none."),
});
export type ClusterGroupInputs = z.output<typeof clusterGroupSchema>;

const groupPath = (i: { name: string }) => `/1.0/cluster/groups/${encode(i.name)}`;

export const clusterGroup = defineKind({
  type: "ClusterGroup",
  schema: clusterGroupSchema,
  scoped: false,
  requires: ["clustering_groups"],
  path: (i) => groupPath(i),
  renamable: true,
  listable: true,
  fields: {
    description: { mode: "update", empty: "" },
    members: { mode: "update", empty: [], fromLive: (v) => [...liveStrings(v)].sort() },
  },
  resetOnDelete: (inputs) => (inputs.name === "default" ? { description: "" } : undefined),
  // Incus deletes only an empty group, and keeps a member in its last group: a member whose only group this is goes
  // back to `default` (where a member that joins starts), then the group is emptied and deleted.
  async delete(ctx, inputs, live) {
    const opts = { project: null };
    for (const member of liveStrings(live.members)) {
      const path = `/1.0/cluster/members/${encode(member)}`;
      await ctx.client.update<Live>(path, (m) => (liveStrings(m.groups).some((g) => g !== inputs.name) ? undefined : { ...m, groups: ["default"] }), opts);
    }
    if (liveStrings(live.members).length) await ctx.client.update<Live>(groupPath(inputs), (g) => ({ description: g.description, members: [] }), opts);
    await ctx.client.delete(groupPath(inputs), opts);
  },
  lookup: {
    list: {
      filters: z.strictObject({
        member: z.string().optional().describe("Only groups this cluster member belongs to."),
      }),
      matches: (live, f: { member?: string }) => f.member === undefined || liveStrings(live.members).includes(f.member),
    },
  },
  docs: {
    summary:
      'A cluster group: a named set of members of an Incus cluster, global. Place instances on a group with `target: "@<group>"`. The `default` group holds every member that joins; it cannot be deleted (destroy gives its description back).',
    outputs: {},
    table: { inPlace: "(Incus renames groups)" },
  },
  example: {
    args: { name: "web", description: "members that serve the web tier", members: [] },
    program: `
const web = new incus.ClusterGroup("web", {
  description: "members that serve the web tier",
  members: ["node1", "node2"],
});
`,
  },
});
