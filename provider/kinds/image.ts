// Image: project-scoped (features.images), identified by its content fingerprint. It comes from a local tarball
// (unified, or split into metadata + rootfs; streamed, never read whole into memory) or from an image server, or is
// one already in the store, named by its fingerprint alone and adopted (what the generator writes). New
// content is a new image, so a changed file or source replaces it. Aliases are separate objects in Incus; the
// aliases the program names are created, those it stops naming removed, and the image's other aliases (an
// ImageAlias resource's, a hand-made one) left alone. An alias that another image holds is only taken over with
// `adopt: true`, so two resources never fight over one alias. Its inputs are in imageSchema.ts, the upload, copy and
// publish requests in imageSources.ts.
import { z } from "zod";
import { isAlreadyExists, isNotFound } from "../client";
import { isUnknown, OWNER_KEY, OWNER_MARKER, shown } from "../engine/inputs";
import { type Context, defineKind, type Live, liveMap } from "../engine/kind";
import { parseMark } from "../engine/ownership";
import { encode } from "./common";
import { aliasName, type ImageInputs, imageSchema } from "./imageSchema";
import { copyFromServer, publish, upload } from "./imageSources";

function imagePath(i: ImageInputs): string {
  if (!i.fingerprint) throw new Error("the image's fingerprint is not known yet");
  return `/1.0/images/${encode(i.fingerprint)}`;
}

/** Named by fingerprint alone: an image already in the store (adopted or imported), with no source to make it from. */
const inStore = (i: ImageInputs) => !i.file && !i.metadataFile && !i.source && !i.sourceInstance;

function liveAliases(live: Live): string[] {
  return (Array.isArray(live.aliases) ? live.aliases : [])
    .map((a: { name?: string }) => a?.name ?? "")
    .filter(Boolean)
    .sort();
}

/**
 * The aliases this resource manages (those its program names now or named before) as the program wants them and as
 * the image has them, both sorted. Aliases the program never named (an `ImageAlias` resource's, a hand-made one) are
 * left alone.
 */
function managedAliases(inputs: { aliases?: string[] | null }, live: Live, olds?: { aliases?: string[] | null }): { want: string[]; have: string[] } {
  const want = [...(inputs.aliases ?? [])].sort();
  const managed = new Set([...want, ...(olds?.aliases ?? [])]);
  return { want, have: liveAliases(live).filter((name) => managed.has(name)) };
}

/** The fingerprint an alias points at, or undefined when there is no such alias. */
async function aliasTarget(ctx: Context, name: string): Promise<string | undefined> {
  try {
    return String((await ctx.client.get<Live>(`/1.0/images/aliases/${encode(name)}`, { project: ctx.project })).value.target ?? "");
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The first alias the program names that another image holds (not one this resource held before). Aliases still
 * unknown in a preview are skipped; `up` checks them again.
 */
async function takenAlias(ctx: Context, inputs: ImageInputs, olds?: Partial<ImageInputs>): Promise<{ name: string; target: string } | undefined> {
  const held = new Set(olds?.aliases ?? []);
  for (const name of Array.isArray(inputs.aliases) ? inputs.aliases : []) {
    if (held.has(name) || isUnknown(name)) continue;
    const target = await aliasTarget(ctx, name);
    if (target !== undefined && target !== inputs.fingerprint) return { name, target };
  }
  return undefined;
}

const aliasTaken = (name: string, target: string) =>
  `aliases: "${name}" already points at image ${target.slice(0, 12)}, which this resource does not manage; ` +
  "remove it from `aliases`, or set `adopt: true` to take the alias over";

export const image = defineKind({
  type: "Image",
  schema: imageSchema,
  scoped: true,
  path: imagePath,
  feature: "features.images",
  collection: () => "/1.0/images",
  nameIsLabel: true,
  renamable: false,
  // The content is the identity: the same tarball at another path is the same image.
  identity: ["fingerprint", "source", "sourceInstance"],
  fields: {
    public: { mode: "update", empty: false },
    autoUpdate: { mode: "update", api: "auto_update", empty: false },
    // Properties from metadata.yaml are learnt at upload as the server's; the ones the program sets are its own.
    properties: { mode: "update", empty: {} },
    // A PUT without profiles gives ["default"]: Incus's "unset".
    profiles: { mode: "update", empty: ["default"] },
  },
  put: { extras: ["expires_at"] },
  mark: { field: "properties" },
  lookup: {
    fields: { aliases: liveAliases },
    by: {
      alias: {
        schema: aliasName.describe("An alias of the image in the project (instead of `fingerprint`)."),
        resolve: async (ctx, alias: string) => {
          const target = await aliasTarget(ctx, alias);
          return target ? { fingerprint: target } : undefined;
        },
      },
    },
    list: {
      filters: z.strictObject({
        alias: aliasName.optional().describe("Only the image that has this alias."),
        properties: z.record(z.string(), z.string()).optional().describe('Only images with all these properties (e.g. `{ os: "Debian" }`), compared exactly.'),
      }),
      matches: (live, f: { alias?: string; properties?: Record<string, string> }) =>
        (f.alias === undefined || liveAliases(live).includes(f.alias)) &&
        Object.entries(f.properties ?? {}).every(([k, v]) => liveMap(live.properties)[k] === v),
    },
  },
  outputKeys: ["fingerprint", "size", "architecture", "imageType", "createdAt"],
  outputs: (live) => ({
    fingerprint: String(live.fingerprint ?? ""),
    size: Number(live.size ?? 0),
    architecture: String(live.architecture ?? ""),
    imageType: String(live.type ?? ""),
    createdAt: String(live.created_at ?? ""),
  }),

  // Same content already in the store fails with "already exists"; the engine then adopts it or says so.
  async create(ctx, inputs) {
    // Named by fingerprint alone: only an image already in the store, taken over (adopt); nothing to make it from.
    if (inStore(inputs))
      throw new Error(
        inputs.adopt
          ? `fingerprint: no image ${inputs.fingerprint} in project "${ctx.project ?? "default"}" to adopt`
          : "fingerprint: an image given only by its fingerprint is one already in the store: set `adopt: true` to take it over, or give `file`, `source` or `sourceInstance`",
      );
    const fingerprint = inputs.source ? await copyFromServer(ctx, inputs) : inputs.sourceInstance ? await publish(ctx, inputs) : await upload(ctx, inputs);
    return { fingerprint };
  },

  async verify(ctx, inputs, olds) {
    if (inputs.adopt) return;
    const taken = await takenAlias(ctx, inputs, olds);
    if (taken) throw new Error(aliasTaken(taken.name, taken.target));
  },

  // A new image has no diff, so verify would first run at `up`, after the preview said "create": say it at check.
  // Pulumi also checks a replacement as a new object, before it deletes the old image: an alias held by the image this
  // run's diff saw recorded, or by one that carries this resource's own owner mark, is that old image's and goes
  // with it.
  async conflictAtCheck(ctx, inputs) {
    // Named by fingerprint alone: a preview already says when there is no such image.
    if (inStore(inputs) && !isUnknown(inputs.fingerprint)) {
      const there = await ctx.client.get(imagePath(inputs), { project: ctx.project }).then(
        () => true,
        (err) => (isNotFound(err) ? false : Promise.reject(err)),
      );
      if (!there) return { property: "fingerprint", reason: `no image ${inputs.fingerprint} in project "${ctx.project ?? "default"}"` };
    }
    const owner = (inputs as Record<string, unknown>)[OWNER_KEY];
    for (const name of Array.isArray(inputs.aliases) ? inputs.aliases : []) {
      const target = isUnknown(name) ? undefined : await aliasTarget(ctx, name);
      if (target === undefined || target === inputs.fingerprint || ctx.isRecorded?.(`/1.0/images/${encode(target)}`)) continue;
      if (typeof owner === "string") {
        const holder = await ctx.client.get<Live>(`/1.0/images/${encode(target)}`, { project: ctx.project }).catch(() => undefined);
        if (parseMark(liveMap(holder?.value.properties)[OWNER_MARKER])?.owner === owner) continue;
      }
      return { property: "aliases", reason: aliasTaken(name, target).replace(/^aliases: /, "") };
    }
    return undefined;
  },

  // Aliases are objects of their own, kept in step after the image.
  beyondFields: {
    diff(inputs, live, olds) {
      // A list still unknown in a preview is said so (not spread into its characters).
      if (isUnknown(inputs.aliases)) return [`aliases: server has ${shown(managedAliases({}, live, olds).have)}, program wants ${shown(inputs.aliases)}`];
      const { want, have } = managedAliases(inputs, live, olds);
      return JSON.stringify(want) === JSON.stringify(have) ? [] : [`aliases: server has ${shown(have)}, program wants ${shown(want)}`];
    },

    async apply(ctx, inputs, live, olds) {
      const managed = managedAliases(inputs, live, olds);
      const want = new Set(managed.want);
      const have = new Set(managed.have);
      const opts = { project: ctx.project };
      for (const name of have) if (!want.has(name)) await ctx.client.delete(`/1.0/images/aliases/${encode(name)}`, opts);
      for (const name of want) {
        if (have.has(name)) continue;
        try {
          await ctx.client.post("/1.0/images/aliases", { name, target: live.fingerprint, description: "" }, opts);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          // Taken since verify looked (another resource of the same run): only `adopt` takes it over.
          if (!inputs.adopt) throw new Error(aliasTaken(name, (await aliasTarget(ctx, name)) ?? "?"));
          await ctx.client.put(`/1.0/images/aliases/${encode(name)}`, { target: live.fingerprint, description: "" }, opts);
        }
      }
    },
  },

  async delete(ctx, inputs) {
    try {
      await ctx.client.delete(imagePath(inputs), { project: ctx.project });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
  docs: {
    summary:
      "An Incus image, uploaded from a local tarball, copied from an image server or published from an instance or snapshot; its identity is its content (fingerprint). Lives in a project (`features.images`).",
    outputs: {
      fingerprint: "The image's SHA-256 fingerprint.",
      size: "Size of the image in bytes.",
      architecture: "The image's architecture (e.g. `x86_64`).",
      imageType: "`container` or `virtual-machine`.",
      createdAt: "When the image was built (RFC 3339).",
    },
    table: { inPlace: "and aliases", replaced: "and new file content" },
  },
  example: {
    args: { name: "busybox", file: "busybox.tar.gz" },
    program: `
const busybox = new incus.Image("busybox", {
  file: "busybox.tar.gz",
  aliases: ["busybox"],
});
`,
  },
});
