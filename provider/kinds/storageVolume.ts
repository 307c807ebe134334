// Custom storage volume: project-scoped (features.storage.volumes), child of a pool. The pool and content type are
// fixed; renames are in place. Create answers 200 with no Location (unlike other kinds); the engine does not need it.
// A volume may instead start as a copy of another volume or of a volume snapshot (any pool or project), or as the
// import of a backup file (`incus storage volume export`): where it comes from is fixed, another source replaces it.
// A copy or an import takes the source's config and description; the program's own are laid over them afterwards.
import * as fs from "node:fs";
import { z } from "zod";
import { IncusError } from "../client";
import { configMap, objectName } from "../engine/inputs";
import { type Context, defineKind, liveString, liveStrings } from "../engine/kind";
import { memberTarget } from "../engine/target";
import { scopedFields, description, encode, volatileKey } from "./common";

export const storageVolumeSchema = z
  .strictObject({
    ...scopedFields(),
    pool: z.string().min(1).describe("The storage pool the volume lives in."),
    target: memberTarget
      .optional()
      .describe(
        "On a cluster: the member the volume lives on (`?target=` on every request about it), so the same name on two members is two volumes. Default: the member Incus answers through. A change replaces the volume. Refused on a server that is not clustered. `pulumi import` id: `/1.0/storage-pools/<pool>/volumes/custom/<name>?target=<member>`.",
      ),
    contentType: z.enum(["filesystem", "block", "iso"]).optional().describe("What the volume holds. Default: `filesystem` (a copy or import: the source's)."),
    description,
    config: configMap.optional().describe("Volume config, e.g. `size`, `security.shifted`; numbers and booleans are sent as strings."),
    copyFrom: z
      .strictObject({
        volume: objectName.describe("The source custom volume."),
        snapshot: objectName.optional().describe("One of its snapshots, instead of its current content."),
        pool: z.string().min(1).optional().describe("The source's pool. Default: the new volume's pool."),
        project: z.string().min(1).optional().describe("The source's project. Default: the new volume's project."),
      })
      .optional()
      .describe(
        "Create the volume as a copy of another custom volume (or of one of its snapshots), without the source's snapshots. Another source replaces the volume.",
      ),
    importFile: z
      .string()
      .min(1)
      .refine((p) => fs.existsSync(p) && fs.statSync(p).isFile(), { message: "no such file" })
      .optional()
      .describe(
        "Create the volume from a backup file made by `incus storage volume export` (streamed from disk; the snapshots in the backup come along). Another file replaces the volume.",
      ),
  })
  .superRefine((i, ctx) => {
    if (i.copyFrom && i.importFile) ctx.addIssue({ code: "custom", path: ["importFile"], message: "give at most one of `copyFrom` and `importFile`" });
    if (i.importFile && i.contentType)
      ctx.addIssue({ code: "custom", path: ["contentType"], message: "an import takes the backup's content type; drop `contentType`" });
  });
export type StorageVolumeInputs = z.output<typeof storageVolumeSchema>;

const collection = (i: StorageVolumeInputs) => `/1.0/storage-pools/${encode(i.pool)}/volumes/custom`;

/** Where a request about the volume goes: its project, and on a cluster its member. */
const where = (ctx: Context) => ({ project: ctx.project, query: ctx.target ? { target: ctx.target } : undefined });

async function importBackup(ctx: Context, i: StorageVolumeInputs): Promise<void> {
  // The import is an operation that fails late on a taken name, after the whole upload: look first.
  const path = `${collection(i)}/${encode(i.name)}`;
  const found = await ctx.client.get(path, where(ctx)).then(
    () => true,
    () => false,
  );
  if (found) throw new IncusError(409, `Volume "${i.name}" already exists in pool "${i.pool}"`, "POST", path);
  await ctx.client.upload(collection(i), i.importFile!, { ...where(ctx), headers: { "x-incus-name": i.name }, timeoutMs: 30 * 60_000 });
}

export const storageVolume = defineKind({
  type: "StorageVolume",
  schema: storageVolumeSchema,
  scoped: true,
  path: (i) => `${collection(i)}/${encode(i.name)}`,
  feature: "features.storage.volumes",
  identity: ["pool", "target", "copyFrom", "importFile"],
  clusterTarget: "member",
  renamable: true,
  fields: {
    contentType: { mode: "replace", api: "content_type", empty: "filesystem" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: volatileKey },
  },
  // A copy's config is the source's unless the program sets one: a config holding only the owner marker would
  // replace it (Incus does not merge a volume copy's config as it does an instance copy's). An import takes the
  // backup's config. Their marks are kept in the server's config instead (engine/ownership.ts).
  mark: { skip: (i) => (!!i.copyFrom && !i.config) || !!i.importFile },
  createBody(i) {
    const body: Record<string, unknown> = { name: i.name, type: "custom" };
    if (i.contentType) body.content_type = i.contentType;
    if (i.description !== undefined) body.description = i.description;
    // A copy keeps the source's config unless the program sets its own (as the CLI does).
    if (i.config || !i.copyFrom) body.config = i.config ?? {};
    if (i.copyFrom) {
      const from = i.copyFrom;
      body.source = {
        type: "copy",
        pool: from.pool ?? i.pool,
        name: from.snapshot ? `${from.volume}/${from.snapshot}` : from.volume,
        ...(from.project ? { project: from.project } : {}),
        volume_only: true,
      };
    }
    return body;
  },
  async create(ctx, i) {
    if (i.importFile) return importBackup(ctx, i);
    await ctx.client.post(collection(i), storageVolume.createBody!(i), { ...where(ctx), timeoutMs: 30 * 60_000 });
  },
  outputKeys: ["location", "usedBy", "createdAt"],
  outputs: (live) => ({ location: liveString(live.location), usedBy: liveStrings(live.used_by), createdAt: liveString(live.created_at) }),
  docs: {
    summary:
      "A custom storage volume in a pool, to attach to instances as a disk device: empty, a copy of another volume or snapshot, or imported from a backup file. Lives in a project (`features.storage.volumes`).",
    outputs: {
      location: "The cluster member holding the volume (`none` outside a cluster).",
      usedBy: "API paths of the instances and profiles that use the volume.",
      createdAt: "When Incus created the volume (RFC 3339).",
    },
  },
  example: {
    args: { name: "data", pool: "default" },
    program: `
const data = new incus.StorageVolume("data", {
  pool: "default",
  config: { "security.shifted": true },
});
`,
  },
});
