// Storage volume snapshot: a child of a custom volume (identity: project + pool + volume + name). Its description
// and expiry change in place: the PUT replaces both (a field left out is cleared), and Incus 6.0 ignores a
// description sent at create, so the engine's PUT after the create sets it. Renames are in place (POST {name}).
import { z } from "zod";
import { objectName } from "../engine/inputs";
import { defineKind, liveString } from "../engine/kind";
import { memberTarget, withParentLocation } from "../engine/target";
import { description, encode, expiresAt, NO_EXPIRY, normaliseTime, scopedFields } from "./common";

export const storageVolumeSnapshotSchema = z.strictObject({
  ...scopedFields(),
  pool: z.string().min(1).describe("The storage pool of the volume. A change replaces the snapshot."),
  volume: objectName.describe("The custom volume the snapshot is taken of. A change replaces the snapshot (a new one is taken)."),
  target: memberTarget
    .optional()
    .describe(
      "On a cluster: the member holding the volume (its `location`), needed where another member has a volume of the same name. A change replaces the snapshot. Refused on a server that is not clustered. `pulumi import` id: `/1.0/storage-pools/<pool>/volumes/custom/<volume>/snapshots/<name>?target=<member>`.",
    ),
  description,
  expiresAt: expiresAt
    .optional()
    .describe("When Incus deletes the snapshot (RFC 3339, e.g. `2030-01-01T00:00:00Z`). Default: never. Changed in place; dropping it clears the expiry."),
});
export type StorageVolumeSnapshotInputs = z.output<typeof storageVolumeSnapshotSchema>;

const volumePath = (i: { pool: string; volume: string }) => `/1.0/storage-pools/${encode(i.pool)}/volumes/custom/${encode(i.volume)}`;

export const storageVolumeSnapshot = defineKind({
  type: "StorageVolumeSnapshot",
  schema: storageVolumeSnapshotSchema,
  scoped: true,
  path: (i) => `${volumePath(i)}/snapshots/${encode(i.name)}`,
  feature: "features.storage.volumes",
  identity: ["pool", "volume", "target"],
  clusterTarget: "member",
  renamable: true,
  title: (i) => `"${i.name}" of volume "${i.volume}" in pool "${i.pool}"`,
  fields: {
    description: { mode: "update", empty: "" },
    expiresAt: { mode: "update", api: "expires_at", empty: NO_EXPIRY, fromLive: normaliseTime },
  },
  createBody: (i) => ({ name: i.name, expires_at: i.expiresAt ?? null }),
  // Where it is: its volume's member (Incus's snapshot object does not say).
  details: (ctx, live, i) => withParentLocation(ctx, live, i.pool && i.volume ? volumePath({ pool: i.pool, volume: i.volume }) : undefined),
  // The volume's delete takes its snapshots along: one that goes meanwhile (a program without a dependency between
  // them, as `pulumi import` writes it) is answered with 400 "Storage volume not found", which means gone.
  async delete(ctx, inputs) {
    const where = { project: ctx.project ?? null, query: ctx.target ? { target: ctx.target } : undefined };
    await ctx.client.delete(`${volumePath(inputs)}/snapshots/${encode(inputs.name)}`, where).catch((err: Error) => {
      if (!/Storage volume not found/.test(err.message)) throw err;
    });
  },
  outputKeys: ["createdAt", "contentType", "location"],
  outputs: (live) => ({ createdAt: liveString(live.created_at), contentType: liveString(live.content_type), location: liveString(live.location) }),
  docs: {
    summary:
      "A snapshot of a custom storage volume, taken when the resource is created. Its description and expiry change in place; it can be renamed. Lives in the volume's project (`features.storage.volumes`).",
    outputs: {
      createdAt: "When Incus took the snapshot (RFC 3339).",
      contentType: "What the volume holds (`filesystem`, `block`).",
      location: "The cluster member holding the snapshot's volume (`none` outside a cluster).",
    },
  },
  example: {
    args: { name: "nightly", pool: "default", volume: "data" },
    program: `
const snap = new incus.StorageVolumeSnapshot("nightly", { pool: "default", volume: data.name });
`,
  },
});
