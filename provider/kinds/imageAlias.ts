// Image alias as an object of its own (for images the stack does not upload; an Image resource keeps its own
// `aliases`). Project-scoped (features.images). The target changes in place (PUT {target, description}); renames
// are in place (POST {name}). Incus derives the alias's type from its image. An alias that already exists, and so
// points at some image, is refused at check unless `adopt` takes it over: two resources never fight over one alias.
import { z } from "zod";
import { isNotFound } from "../client";
import { type Context, defineKind, type Live, liveString } from "../engine/kind";
import { description, encode, scopedFields } from "./common";

/** Aliases may contain slashes ("debian/12"); no spaces, no colon (the CLI reads `remote:alias`). */
const aliasName = z
  .string()
  .min(1, "must not be empty")
  .max(255)
  .refine((a) => !/[\s:]/.test(a) && !a.startsWith("/"), { message: "must not contain spaces or ':', or start with '/'" });

export const imageAliasSchema = z.strictObject({
  ...scopedFields(aliasName),
  target: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the image's full SHA-256 fingerprint (64 lowercase hex digits), e.g. an Image resource's `fingerprint` output")
    .describe("Fingerprint of the image the alias points at (all 64 hex digits). Changed in place."),
  description,
});
export type ImageAliasInputs = z.output<typeof imageAliasSchema>;

async function existing(ctx: Context, name: string): Promise<Live | undefined> {
  try {
    return (await ctx.client.get<Live>(`/1.0/images/aliases/${encode(name)}`, { project: ctx.project })).value;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export const imageAlias = defineKind({
  type: "ImageAlias",
  schema: imageAliasSchema,
  scoped: true,
  path: (i) => `/1.0/images/aliases/${encode(i.name)}`,
  feature: "features.images",
  listable: true,
  renamable: true,
  fields: {
    target: { mode: "update", empty: "" },
    description: { mode: "update", empty: "" },
  },
  // The generic "already exists" at create comes too late for a preview: say it at check, with the image it holds.
  async conflictAtCheck(ctx, inputs) {
    const live = await existing(ctx, inputs.name);
    if (!live) return undefined;
    const target = liveString(live.target);
    return {
      property: "name",
      reason:
        `alias "${inputs.name}" already exists in project "${ctx.project ?? "default"}" and points at image ${target.slice(0, 12)}` +
        `${target === inputs.target ? " (the same image)" : ""}; choose another name, or set \`adopt: true\` to take it over (an Image resource that lists it in \`aliases\` would then fight over it)`,
    };
  },
  outputKeys: ["type"],
  outputs: (live) => ({ type: liveString(live.type) }),
  docs: {
    summary:
      "An alias of an image, managed on its own: for images the stack does not upload (an Image resource manages its own `aliases`). Lives in a project (`features.images`).",
    outputs: {
      type: "The image's type (`container` or `virtual-machine`), as Incus derives it from the target.",
    },
  },
  example: {
    args: { name: "debian/12", target: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
    program: `
const alias = new incus.ImageAlias("debian-12", { name: "debian/12", target: busybox.fingerprint });
`,
  },
});
