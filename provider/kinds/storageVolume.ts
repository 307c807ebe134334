// Custom storage volume: project-scoped (features.storage.volumes), child of a pool. The pool and content type are
// fixed; renames are in place. Create answers 200 with no Location (unlike other kinds); the engine does not need it.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveString, liveStrings } from "../engine/kind";
import { scopedFields, description, encode, volatileKey } from "./common";

export const storageVolumeSchema = z.strictObject({
  ...scopedFields(),
  pool: z.string().min(1).describe("The storage pool the volume lives in."),
  contentType: z.enum(["filesystem", "block", "iso"]).optional().describe("What the volume holds. Default: `filesystem`."),
  description,
  config: configMap.optional().describe("Volume config, e.g. `size`, `security.shifted`; numbers and booleans are sent as strings."),
});
export type StorageVolumeInputs = z.output<typeof storageVolumeSchema>;

export const storageVolume = defineKind({
  type: "StorageVolume",
  schema: storageVolumeSchema,
  scoped: true,
  path: (i) => `/1.0/storage-pools/${encode(i.pool)}/volumes/custom/${encode(i.name)}`,
  feature: "features.storage.volumes",
  identity: ["pool"],
  renamable: true,
  fields: {
    contentType: { mode: "replace", api: "content_type", empty: "filesystem" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: volatileKey },
  },
  outputKeys: ["location", "usedBy", "createdAt"],
  outputs: (live) => ({ location: liveString(live.location), usedBy: liveStrings(live.used_by), createdAt: liveString(live.created_at) }),
});

/** Docs of the SDK class and its outputs (field docs are on the schema); scripts/generate-sdk.ts reads them. */
export const storageVolumeDocs = {
  summary: "A custom storage volume in a pool, to attach to instances as a disk device. Lives in a project (`features.storage.volumes`).",
  outputs: {
    location: "The cluster member holding the volume (`none` outside a cluster).",
    usedBy: "API paths of the instances and profiles that use the volume.",
    createdAt: "When Incus created the volume (RFC 3339).",
  },
};
