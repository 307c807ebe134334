// Storage pool: global. Driver and name are fixed (no rename in Incus). The driver fills in keys such as `source`
// on create; a PUT without them fails, so they are server keys carried over from live.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveMap, liveString, liveStrings } from "../engine/kind";
import { createOnMembers, memberConfigField, memberConfigProblem, perMemberContent } from "../engine/members";
import { globalFields, description, encode, volatileKey } from "./common";

const FILLED_BY_DRIVER = new Set([
  "source",
  "size",
  "zfs.pool_name",
  "lvm.thinpool_name",
  "lvm.vg_name",
  "ceph.cluster_name",
  "ceph.osd.pg_num",
  "ceph.user.name",
  "cephfs.cluster_name",
  "cephfs.user.name",
]);

/** The keys Incus keeps per cluster member (6.0). */
const MEMBER_KEYS = ["source", "size", "source.wipe", "zfs.pool_name", "lvm.thinpool_name", "lvm.vg_name", "lvm.vg.force_reuse"] as const;

export const storagePoolSchema = z.strictObject({
  ...globalFields(),
  driver: z.enum(["dir", "btrfs", "lvm", "zfs", "ceph", "cephfs", "cephobject", "lvmcluster"]).describe("The storage driver."),
  description,
  config: configMap
    .optional()
    .describe(
      "Pool config, e.g. `source`, `size`, `volume.size`; numbers and booleans are sent as strings. Keys the driver fills in at create (`source`, …) stay the server's unless the program sets them.",
    ),
  memberConfig: memberConfigField("storage pool", MEMBER_KEYS),
});
export type StoragePoolInputs = z.output<typeof storagePoolSchema>;

export const storagePool = defineKind({
  type: "StoragePool",
  schema: storagePoolSchema,
  scoped: false,
  path: (i) => `/1.0/storage-pools/${encode(i.name)}`,
  renamable: false,
  fields: {
    driver: { mode: "replace" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: (k) => FILLED_BY_DRIVER.has(k) || volatileKey(k) },
  },
  // On a cluster: pending on each member, then created; each member's keys compared and written with `?target=`.
  async create(ctx, inputs) {
    const body = { name: inputs.name, driver: inputs.driver, description: inputs.description, config: inputs.config };
    await createOnMembers(ctx, "/1.0/storage-pools", { name: inputs.name, driver: inputs.driver }, body, inputs.memberConfig);
  },
  content: perMemberContent<StoragePoolInputs>((i) => `/1.0/storage-pools/${encode(i.name)}`, MEMBER_KEYS),
  conflictAtCheck: (ctx, inputs) => memberConfigProblem(ctx, inputs.memberConfig),
  async verify(ctx, inputs) {
    const problem = await memberConfigProblem(ctx, inputs.memberConfig);
    if (problem) throw new Error(`${problem.property}: ${problem.reason}`);
  },
  outputKeys: ["status", "usedBy", "source"],
  outputs: (live) => ({
    status: liveString(live.status),
    usedBy: liveStrings(live.used_by),
    source: liveMap(live.config).source ?? "",
  }),
  docs: {
    summary: "An Incus storage pool. Global (not in a project); Incus cannot rename pools, so a new name replaces it.",
    outputs: {
      status: "The server's status of the pool (e.g. `Created`).",
      usedBy: "API paths of the volumes, images, instances and profiles that use the pool.",
      source: "Where the pool keeps its data (the driver's `source`, filled in by Incus when the program gives none).",
    },
    table: { replaced: "(Incus cannot rename pools)" },
  },
  example: {
    args: { name: "lab", driver: "dir" },
    program: `
const pool = new incus.StoragePool("lab", { driver: "dir" });
`,
  },
});
