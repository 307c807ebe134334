// Custom storage volume: project-scoped (features.storage.volumes), child of a pool. The pool and content type are
// fixed; renames are in place. Create answers 200 with no Location (unlike other kinds); the engine does not need it.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveString, liveStrings } from "../engine/kind";
import { scopedFields, description, encode, volatileKey } from "./common";

export const storageVolumeSchema = z.strictObject({
  ...scopedFields(),
  pool: z.string().min(1),
  contentType: z.enum(["filesystem", "block", "iso"]).optional(),
  description,
  config: configMap.optional(),
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
