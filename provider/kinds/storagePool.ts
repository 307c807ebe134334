// Storage pool: global. Driver and name are fixed (no rename in Incus). The driver fills in keys such as `source`
// on create; a PUT without them fails, so they are server keys carried over from live.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveMap, liveString, liveStrings } from "../engine/kind";
import { globalFields, description, encode, volatileKey } from "./common";

const FILLED_BY_DRIVER = new Set(["source", "size", "zfs.pool_name", "lvm.thinpool_name", "lvm.vg_name", "ceph.cluster_name", "ceph.osd.pg_num", "ceph.user.name", "cephfs.cluster_name", "cephfs.user.name"]);

export const storagePoolSchema = z.strictObject({
  ...globalFields(),
  driver: z.enum(["dir", "btrfs", "lvm", "zfs", "ceph", "cephfs", "cephobject", "lvmcluster"]),
  description,
  config: configMap.optional(),
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
  outputKeys: ["status", "usedBy", "source"],
  outputs: (live) => ({
    status: liveString(live.status),
    usedBy: liveStrings(live.used_by),
    source: liveMap(live.config).source ?? "",
  }),
});
