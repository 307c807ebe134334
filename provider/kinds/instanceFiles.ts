// An instance's `files`: pushed into it, compared with what it holds (drift), and deleted once the program drops
// them. Part of the Instance kind's content (instanceContent.ts). Messages name paths, never contents.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { z } from "zod";
import { deleteFile, type FileInfo, hashFile, IncusError, makeDirectories, pushFile, statFile } from "../client";
import { isUnknown, KNOWN_AFTER_APPLY } from "../engine/inputs";
import type { Context } from "../engine/kind";

export const absolutePath = z.string().regex(/^\/[^\0]*$/, "must be an absolute path inside the instance");
const fileMode = z
  .union([z.string().regex(/^0?[0-7]{3,4}$/, 'an octal mode such as "0644"'), z.number().int().min(0).max(0o7777)])
  .transform((m) => (typeof m === "number" ? m : parseInt(m, 8)).toString(8).padStart(4, "0"));

export const fileSchema = z
  .strictObject({
    /** The file's content (text). Mark it secret (`pulumi.secret`) when it is one: it is never printed. */
    content: z.string().optional(),
    /** A local file whose content is pushed (read when the program runs; a change of it is pushed). */
    source: z.string().min(1).optional(),
    /** Permission bits, e.g. "0644" (set when the file is created; a change re-creates it). */
    mode: fileMode.optional(),
    uid: z.number().int().min(0).optional(),
    gid: z.number().int().min(0).optional(),
  })
  .superRefine((f, ctx) => {
    if ((f.content === undefined) === (f.source === undefined)) ctx.addIssue({ code: "custom", message: "set exactly one of `content` and `source`" });
    else if (f.source !== undefined && !fs.existsSync(f.source)) ctx.addIssue({ code: "custom", path: ["source"], message: `no such local file: ${f.source}` });
  });
export type FileSpec = z.output<typeof fileSchema>;
export const filesSchema = z.record(absolutePath, fileSchema);

/** What was pushed: the content's sha256 and the file's metadata right after, so an unchanged file is not downloaded. */
export interface FileRecord {
  sha256: string;
  modified?: string;
  size?: number;
}

/** What the file steps read from the instance's inputs. */
export interface FileInputs {
  name: string;
  files?: Record<string, FileSpec>;
  /** Carried over from the last run (the instance's `fileDigests` output). */
  fileDigests?: Record<string, FileRecord>;
}

async function desiredDigest(f: FileSpec): Promise<string> {
  const hash = createHash("sha256");
  if (f.content !== undefined) return hash.update(f.content, "utf8").digest("hex");
  for await (const chunk of fs.createReadStream(f.source!)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

interface LiveFile {
  info: FileInfo | null;
  /** sha256 of what is in the instance (from the record when the file is unchanged since the last push). */
  sha256?: string;
}

async function liveFile(ctx: Context, instance: string, path: string, last?: FileRecord): Promise<LiveFile> {
  const info = await statFile(ctx.client, instance, path, ctx.project);
  if (!info || info.type !== "file") return { info };
  // Unchanged since our last push (same modification time and size): its content is what we pushed.
  if (last && last.modified !== undefined && last.modified === info.modified && last.size === info.size) return { info, sha256: last.sha256 };
  return { info, sha256: (await hashFile(ctx.client, instance, path, ctx.project)) ?? undefined };
}

/** Why the file in the instance is not what the program says, or undefined when it is. */
function fileDrift(f: FileSpec, want: string, have: LiveFile): string | undefined {
  if (!have.info) return "missing in the instance";
  if (have.info.type !== "file") return `a ${have.info.type} in the instance, not a file`;
  if (have.sha256 !== want) return "content in the instance differs from the program";
  const mode = have.info.mode.toString(8).padStart(4, "0");
  const wants = (v: unknown) => (isUnknown(v) ? KNOWN_AFTER_APPLY : v);
  if (f.mode !== undefined && f.mode !== mode) return `mode ${mode} in the instance, program wants ${wants(f.mode)}`;
  if (f.uid !== undefined && f.uid !== have.info.uid) return `owner uid ${have.info.uid} in the instance, program wants ${wants(f.uid)}`;
  if (f.gid !== undefined && f.gid !== have.info.gid) return `group gid ${have.info.gid} in the instance, program wants ${wants(f.gid)}`;
  return undefined;
}

/** What is recorded of a pushed file: its digest, and its time and size where the server says them (LXD 5.0 sends no time). */
function recordOf(sha256: string, info?: { modified?: string; size?: number } | null): FileRecord {
  return { sha256, ...(info?.modified !== undefined ? { modified: info.modified } : {}), ...(info?.size !== undefined ? { size: info.size } : {}) };
}

/** Pushes the files that differ; records what was pushed in `out`. */
export async function pushFiles(ctx: Context, inputs: FileInputs, out: Record<string, FileRecord>): Promise<void> {
  for (const [path, f] of Object.entries(inputs.files ?? {})) {
    const want = await desiredDigest(f);
    const have = await liveFile(ctx, inputs.name, path, inputs.fileDigests?.[path]);
    if (fileDrift(f, want, have) === undefined) {
      out[path] = recordOf(want, have.info);
      continue;
    }
    // Incus applies mode and owner only to a new file: a file with the wrong ones is re-created.
    if (have.info) await deleteFile(ctx.client, inputs.name, path, ctx.project);
    const push = () =>
      pushFile(ctx.client, inputs.name, path, f.content !== undefined ? Buffer.from(f.content, "utf8") : f.source!, {
        project: ctx.project,
        mode: f.mode === undefined ? undefined : parseInt(f.mode, 8),
        uid: f.uid,
        gid: f.gid,
      });
    try {
      await push().catch(async (err) => {
        // A missing parent directory (e.g. /run/secrets) is made, then the push is tried once more.
        const parent = path.slice(0, path.lastIndexOf("/")) || "/";
        if (await statFile(ctx.client, inputs.name, parent, ctx.project)) throw err;
        await makeDirectories(ctx.client, inputs.name, parent, ctx.project);
        await push();
      });
    } catch (err) {
      throw new Error(`files[${JSON.stringify(path)}]: cannot push: ${err instanceof IncusError ? err.incusMessage : (err as Error).message}`);
    }
    const info = await statFile(ctx.client, inputs.name, path, ctx.project);
    out[path] = recordOf(want, info);
  }
}

/** Deletes the files the last `up` managed and the program no longer declares. */
export async function deleteDroppedFiles(ctx: Context, inputs: FileInputs, olds?: FileInputs): Promise<void> {
  for (const path of Object.keys(olds?.files ?? {})) {
    if (!(path in (inputs.files ?? {}))) await deleteFile(ctx.client, inputs.name, path, ctx.project);
  }
}

/** The preview's lines for the files: those that drifted, then those that will be deleted. */
export async function filesDiff(ctx: Context, news: FileInputs, olds: FileInputs): Promise<string[]> {
  const lines: string[] = [];
  for (const [path, f] of Object.entries(news.files ?? {})) {
    const why = fileDrift(f, await desiredDigest(f), await liveFile(ctx, news.name, path, news.fileDigests?.[path]));
    if (why) lines.push(`files[${JSON.stringify(path)}]: ${why}`);
  }
  for (const path of Object.keys(olds.files ?? {})) {
    if (!(path in (news.files ?? {}))) lines.push(`files[${JSON.stringify(path)}]: no longer in the program, will be deleted from the instance`);
  }
  return lines;
}
