// Inside an instance, from the host (the instance's `exec` and `files` endpoints): run a command to completion with its output recorded, and
// stat, hash, push and delete files. No Pulumi dependency.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { IncusClient, UploadSource } from "./client";
import { IncusError } from "./errors";

const encode = encodeURIComponent;
const instancePath = (instance: string) => `/1.0/instances/${encode(instance)}`;
const filePath = (instance: string, path: string) => `${instancePath(instance)}/files?path=${encode(path)}`;

export interface ExecOptions {
  project?: string;
  environment?: Record<string, string>;
  cwd?: string;
  user?: number;
  group?: number;
  /** Give up waiting after this long (the command may keep running in the instance). */
  timeoutMs?: number;
  /** Keep at most this many bytes of the end of each of stdout and stderr (default 4096). */
  tailBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  /** The end of standard output (at most `tailBytes`). */
  stdout: string;
  stderr: string;
}

/** Reads a stream keeping only its last `max` bytes, so a chatty command costs bounded memory. */
async function tail(stream: Readable, max: number): Promise<string> {
  let kept = Buffer.alloc(0);
  for await (const chunk of stream) {
    kept = Buffer.concat([kept, chunk as Buffer]);
    if (kept.length > max * 2) kept = kept.subarray(kept.length - max);
  }
  return kept.subarray(Math.max(0, kept.length - max)).toString("utf8");
}

/**
 * Runs `command` (argv, no shell) in the instance and waits for it to end. Output is recorded by Incus, read back
 * (the tail only) and the record deleted, so nothing a command printed stays on the host.
 */
export async function execInstance(client: IncusClient, instance: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const body: Record<string, unknown> = {
    command,
    environment: opts.environment ?? {},
    "wait-for-websocket": false,
    interactive: false,
    "record-output": true,
  };
  if (opts.cwd !== undefined) body.cwd = opts.cwd;
  if (opts.user !== undefined) body.user = opts.user;
  if (opts.group !== undefined) body.group = opts.group;
  const res = await client.post(`${instancePath(instance)}/exec`, body, { project: opts.project, timeoutMs: opts.timeoutMs });
  const meta = (res.operation?.metadata ?? {}) as { return?: number; output?: Record<string, string> };
  const max = opts.tailBytes ?? 4096;
  const read = async (url: string | undefined): Promise<string> => {
    if (!url) return "";
    try {
      const dl = await client.download(url, { project: opts.project });
      return await tail(dl.stream, max);
    } finally {
      await client.delete(url, { project: opts.project }).catch(() => undefined);
    }
  };
  const [stdout, stderr] = await Promise.all([read(meta.output?.["1"]), read(meta.output?.["2"])]);
  return { exitCode: typeof meta.return === "number" ? meta.return : -1, stdout, stderr };
}

export interface FileInfo {
  type: string;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  uid: number;
  gid: number;
  /** When the file last changed (Incus's X-Incus-Modified), when the server says. */
  modified?: string;
  size?: number;
}

/** HEAD on the file: its metadata, or null when it does not exist. Nothing of its content is transferred. */
export async function statFile(client: IncusClient, instance: string, path: string, project?: string): Promise<FileInfo | null> {
  const res = await client.raw("HEAD", filePath(instance, path), { project });
  await res.body.dump();
  if (res.statusCode === 404) return null;
  if (res.statusCode >= 400) throw new IncusError(res.statusCode, `cannot read the file's metadata`, "HEAD", filePath(instance, path));
  const h = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const length = h("content-length");
  return {
    type: h("x-incus-type") ?? "file",
    mode: parseInt(h("x-incus-mode") ?? "0", 8) & 0o7777,
    uid: Number(h("x-incus-uid") ?? 0),
    gid: Number(h("x-incus-gid") ?? 0),
    modified: h("x-incus-modified"),
    size: length === undefined ? undefined : Number(length),
  };
}

/** sha256 (hex) of the file's content, streamed (never held whole); null when it does not exist. */
export async function hashFile(client: IncusClient, instance: string, path: string, project?: string): Promise<string | null> {
  try {
    const dl = await client.download(filePath(instance, path), { project });
    const hash = createHash("sha256");
    for await (const chunk of dl.stream) hash.update(chunk as Buffer);
    return hash.digest("hex");
  } catch (err) {
    if (err instanceof IncusError && err.isNotFound) return null;
    throw err;
  }
}

export interface PushOptions {
  project?: string;
  /** Permission bits (applied by Incus only when the file is new). */
  mode?: number;
  uid?: number;
  gid?: number;
}

/** Writes the file (bytes, or a local file path streamed from disk); parent directories must exist. */
export async function pushFile(client: IncusClient, instance: string, path: string, content: UploadSource, opts: PushOptions = {}): Promise<void> {
  const headers: Record<string, string> = { "x-incus-type": "file", "x-incus-write": "overwrite" };
  if (opts.mode !== undefined) headers["x-incus-mode"] = `0${opts.mode.toString(8)}`;
  if (opts.uid !== undefined) headers["x-incus-uid"] = String(opts.uid);
  if (opts.gid !== undefined) headers["x-incus-gid"] = String(opts.gid);
  await client.upload(filePath(instance, path), content, { project: opts.project, headers });
}

/** Creates the directories of `dir` that are missing (mode 0755, owned by root), from the top down. */
export async function makeDirectories(client: IncusClient, instance: string, dir: string, project?: string): Promise<void> {
  const parts = dir.split("/").filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join("/")}`;
    if (await statFile(client, instance, p, project)) continue;
    await client.upload(filePath(instance, p), Buffer.alloc(0), { project, headers: { "x-incus-type": "directory", "x-incus-mode": "0755" } });
  }
}

/** Deletes the file; a file that is already gone is fine. */
export async function deleteFile(client: IncusClient, instance: string, path: string, project?: string): Promise<void> {
  try {
    await client.delete(filePath(instance, path), { project });
  } catch (err) {
    if (!(err instanceof IncusError && err.isNotFound)) throw err;
  }
}
