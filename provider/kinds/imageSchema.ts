// The Image kind's inputs (image.ts): where the image comes from (a local tarball, unified or split; an image server;
// an instance of this server), its aliases and properties. For a local tarball the schema computes the fingerprint
// at check, so a preview knows whether the content changed. Apart from image.ts so that the code that creates images
// (imageSources.ts) can use these types without importing the kind's declaration.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { configMap, isUnknown, objectName } from "../engine/inputs";
import { scopedFields } from "./common";

const fileSchema = z
  .string()
  .min(1)
  .refine((p) => fs.existsSync(p) && fs.statSync(p).isFile(), { message: "no such file" });

const sourceSchema = z
  .strictObject({
    server: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        "Image server URL, e.g. https://images.example.org (simplestreams) or https://host:8443 (incus). Omitted: this same server, the image `fingerprint` of `project` (a copy between projects: a new record of the same file, no download).",
      ),
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
  .refine((s) => (s.alias ? 1 : 0) + (s.fingerprint ? 1 : 0) === 1, { message: "give exactly one of `alias` or `fingerprint`" })
  // Incus resolves an alias only on a remote server; between projects of one server it takes the image's fingerprint.
  .refine((s) => s.server !== undefined || (s.fingerprint !== undefined && s.project !== undefined), {
    message: "without `server` (a copy from another project of this server), give `fingerprint` and `project`",
  });

const sourceInstanceSchema = z.strictObject({
  name: objectName.describe("The instance to publish. It must be stopped (Incus cannot export a running instance), unless `snapshot` is given."),
  snapshot: objectName.optional().describe("Publish this snapshot of the instance instead of the instance itself (the instance may be running)."),
  project: z.string().min(1).optional().describe("The instance's project. Default: the image's project."),
});

/** Aliases may contain slashes ("debian/12"); no spaces, no colon (the CLI reads `remote:alias`). */
export const aliasName = z
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
      .describe(
        "The image's SHA-256 fingerprint: computed from the file(s) at preview, or reported by the server after a copy. Given alone with `adopt: true`: an image already in the store, taken over as it is (what `pulumi-incus generate` writes).",
      ),
  })
  .superRefine((i, ctx) => {
    const ways = [i.file, i.metadataFile ?? i.rootfsFile, i.source, i.sourceInstance].filter((x) => x !== undefined).length;
    // An image already in the store, named by its fingerprint alone (adopted, or imported): nothing to make it from.
    if (ways === 0 && i.fingerprint !== undefined) {
      if (!isUnknown(i.fingerprint) && !/^[0-9a-f]{64}$/.test(i.fingerprint))
        ctx.addIssue({ code: "custom", path: ["fingerprint"], message: "the image's full SHA-256 fingerprint (64 lowercase hex digits)" });
    } else if (ways !== 1)
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
