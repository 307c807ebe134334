// Image: project-scoped (features.images), identified by its content fingerprint. It comes from a local tarball
// (unified, or split into metadata + rootfs; streamed, never read whole into memory) or from an image server. New
// content is a new image, so a changed file or source replaces it. Aliases are separate objects in Incus; the
// aliases the program names are created, those it stops naming removed, and the image's other aliases (an
// ImageAlias resource's, a hand-made one) left alone. An alias that another image holds is only taken over with
// `adopt: true`, so two resources never fight over one alias.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FormData } from "undici";
import { z } from "zod";
import { isAlreadyExists, isNotFound } from "../client";
import { configMap, isUnknown, OWNER_KEY, OWNER_MARKER, objectName, shown } from "../engine/inputs";
import { type Context, defineKind, type Live, liveMap } from "../engine/kind";
import { parseMark } from "../engine/ownership";
import { encode, scopedFields } from "./common";

const fileSchema = z
  .string()
  .min(1)
  .refine((p) => fs.existsSync(p) && fs.statSync(p).isFile(), { message: "no such file" });

const sourceSchema = z
  .strictObject({
    server: z.url({ protocol: /^https?$/ }).describe("Image server URL, e.g. https://images.example.org (simplestreams) or https://host:8443 (incus)."),
    protocol: z.enum(["simplestreams", "incus"]).default("simplestreams").describe("The server's protocol."),
    alias: z.string().min(1).optional().describe("The image's alias on the server (give this or `fingerprint`)."),
    fingerprint: z
      .string()
      .regex(/^[0-9a-f]{12,64}$/, "a hex fingerprint (at least 12 characters)")
      .optional()
      .describe("The image's fingerprint on the server (give this or `alias`)."),
    certificate: z.string().optional().describe("PEM certificate of an incus-protocol server that is not publicly trusted."),
    project: z.string().optional().describe("Project on the source server."),
  })
  .refine((s) => (s.alias ? 1 : 0) + (s.fingerprint ? 1 : 0) === 1, { message: "give exactly one of `alias` or `fingerprint`" });

const sourceInstanceSchema = z.strictObject({
  name: objectName.describe("The instance to publish. It must be stopped (Incus cannot export a running instance), unless `snapshot` is given."),
  snapshot: objectName.optional().describe("Publish this snapshot of the instance instead of the instance itself (the instance may be running)."),
  project: z.string().min(1).optional().describe("The instance's project. Default: the image's project."),
});

/** Aliases may contain slashes ("debian/12"); no spaces, no colon (the CLI reads `remote:alias`). */
const aliasName = z
  .string()
  .min(1, "must not be empty")
  .max(255)
  .refine((a) => !/[\s:]/.test(a) && !a.startsWith("/"), { message: "must not contain spaces or ':', or start with '/'" });

const streamHashCache = new Map<string, string>();

/** sha256 of the files, read in chunks; cached per path, size and mtime so repeated previews do not re-read. */
function fingerprintOf(files: string[]): string {
  const key = files
    .map((f) => {
      const st = fs.statSync(f);
      return `${path.resolve(f)}:${st.size}:${st.mtimeMs}`;
    })
    .join("|");
  const cached = streamHashCache.get(key);
  if (cached) return cached;
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of files) {
    const fd = fs.openSync(f, "r");
    try {
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
  }
  const fp = hash.digest("hex");
  streamHashCache.set(key, fp);
  return fp;
}

export const imageSchema = z
  .strictObject({
    ...scopedFields(),
    file: fileSchema.optional().describe("A unified image tarball (metadata.yaml + rootfs/) to upload, streamed from disk. New content replaces the image."),
    metadataFile: fileSchema.optional().describe("A split image: the metadata tarball, with `rootfsFile`. New content replaces the image."),
    rootfsFile: fileSchema.optional().describe("A split image: the rootfs (squashfs or tarball), with `metadataFile`. New content replaces the image."),
    source: sourceSchema.optional().describe("Copy the image from an image server instead of uploading a file."),
    sourceInstance: sourceInstanceSchema
      .optional()
      .describe(
        "Publish the image from an instance of this server (stopped) or one of its snapshots, instead of uploading a file. A change replaces the image.",
      ),
    aliases: z
      .array(aliasName)
      .refine((a) => new Set(a).size === a.length, { message: "aliases must be unique" })
      .optional()
      .describe(
        "Aliases of the image in its project: created, and removed once dropped from the list; aliases the program never named (an `ImageAlias` resource's) are left alone. An alias another image holds is only taken over with `adopt: true`.",
      ),
    properties: configMap
      .optional()
      .describe("Image properties (e.g. `os`, `release`); the ones from metadata.yaml that the program does not set are left alone."),
    public: z.boolean().optional().describe("Whether clients that are not trusted may download the image. Default: `false`."),
    autoUpdate: z.boolean().optional().describe("Whether Incus refreshes the image from its source server. Default: `false`."),
    profiles: z.array(objectName).optional().describe('Profiles applied to instances made from this image. Default: Incus\'s (`["default"]`).'),
    fingerprint: z
      .string()
      .optional()
      .describe("The image's SHA-256 fingerprint: computed from the file(s) at preview, or reported by the server after a copy."),
  })
  .superRefine((i, ctx) => {
    const ways = [i.file, i.metadataFile ?? i.rootfsFile, i.source, i.sourceInstance].filter((x) => x !== undefined).length;
    if (ways !== 1)
      ctx.addIssue({ code: "custom", path: ["file"], message: "give exactly one of `file`, `metadataFile` + `rootfsFile`, `source` or `sourceInstance`" });
    if ((i.metadataFile === undefined) !== (i.rootfsFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [i.metadataFile ? "rootfsFile" : "metadataFile"],
        message: "a split image needs both `metadataFile` and `rootfsFile`",
      });
    }
  })
  .transform((i) => {
    if ([i.file, i.metadataFile, i.rootfsFile].some(isUnknown)) return i;
    const files = i.file ? [i.file] : i.metadataFile && i.rootfsFile ? [i.metadataFile, i.rootfsFile] : [];
    return files.length ? { ...i, fingerprint: fingerprintOf(files) } : i;
  });
export type ImageInputs = z.output<typeof imageSchema>;

function imagePath(i: ImageInputs): string {
  if (!i.fingerprint) throw new Error("the image's fingerprint is not known yet");
  return `/1.0/images/${encode(i.fingerprint)}`;
}

function liveAliases(live: Live): string[] {
  return (Array.isArray(live.aliases) ? live.aliases : [])
    .map((a: { name?: string }) => a?.name ?? "")
    .filter(Boolean)
    .sort();
}

/** Query-string form Incus reads from X-Incus-* upload headers. */
function headerList(key: string, values: string[]): string {
  return values.map((v) => `${key}=${encodeURIComponent(v)}`).join("&");
}

async function upload(ctx: Context, inputs: ImageInputs): Promise<string> {
  const headers: Record<string, string> = {
    "x-incus-public": String(inputs.public ?? false),
    "x-incus-fingerprint": inputs.fingerprint!,
  };
  if (inputs.profiles) headers["x-incus-profiles"] = headerList("profile", inputs.profiles);
  if (inputs.properties) {
    headers["x-incus-properties"] = Object.entries(inputs.properties)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join("&");
  }
  let body: unknown;
  if (inputs.file) {
    headers["x-incus-filename"] = path.basename(inputs.file);
    body = fs.createReadStream(inputs.file);
  } else {
    // Split image: multipart with parts named metadata and rootfs; Blobs backed by the files stream lazily.
    const form = new FormData();
    form.append("metadata", await fs.openAsBlob(inputs.metadataFile!), path.basename(inputs.metadataFile!));
    form.append("rootfs", await fs.openAsBlob(inputs.rootfsFile!), path.basename(inputs.rootfsFile!));
    body = form;
  }
  const res = await ctx.client.post<unknown>("/1.0/images", body, { project: ctx.project, headers, timeoutMs: 30 * 60_000 });
  const meta = (res.operation?.metadata ?? {}) as { fingerprint?: string };
  return meta.fingerprint ?? inputs.fingerprint!;
}

async function copyFromServer(ctx: Context, inputs: ImageInputs): Promise<string> {
  const s = inputs.source!;
  const res = await ctx.client.post<unknown>(
    "/1.0/images",
    {
      source: {
        type: "image",
        mode: "pull",
        server: s.server,
        protocol: s.protocol,
        ...(s.alias ? { alias: s.alias } : { fingerprint: s.fingerprint }),
        ...(s.certificate ? { certificate: s.certificate } : {}),
        ...(s.project ? { project: s.project } : {}),
      },
      public: inputs.public ?? false,
      auto_update: inputs.autoUpdate ?? false,
      ...(inputs.properties ? { properties: inputs.properties } : {}),
      ...(inputs.profiles ? { profiles: inputs.profiles } : {}),
    },
    { project: ctx.project, timeoutMs: 30 * 60_000 },
  );
  const fp = (res.operation?.metadata as { fingerprint?: string } | undefined)?.fingerprint;
  if (!fp) throw new Error("the image server copy finished without reporting a fingerprint");
  return fp;
}

/** Publishes an instance or one of its snapshots as an image of this server (`incus publish`). */
async function publish(ctx: Context, inputs: ImageInputs): Promise<string> {
  const from = inputs.sourceInstance!;
  const res = await ctx.client
    .post<unknown>(
      "/1.0/images",
      {
        source: {
          type: from.snapshot ? "snapshot" : "instance",
          name: from.snapshot ? `${from.name}/${from.snapshot}` : from.name,
          ...(from.project ? { project: from.project } : {}),
        },
        public: inputs.public ?? false,
        ...(inputs.properties ? { properties: inputs.properties } : {}),
        ...(inputs.profiles ? { profiles: inputs.profiles } : {}),
      },
      { project: ctx.project, timeoutMs: 30 * 60_000 },
    )
    .catch((err: Error) => {
      if (/running instance/i.test(err.message)) {
        err.message += `; publish a snapshot of it (\`sourceInstance.snapshot\`) or keep the instance stopped (\`running: false\`)`;
      }
      throw err;
    });
  const fp = (res.operation?.metadata as { fingerprint?: string } | undefined)?.fingerprint;
  if (!fp) throw new Error("publishing finished without reporting a fingerprint");
  return fp;
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
