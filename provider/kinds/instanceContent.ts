// What an instance holds and does beyond its config: files pushed into it, commands run in it, and waits until it
// is usable (running, an address on a NIC, the guest's Ready). Part of the Instance kind (instance.ts): the engine
// calls contentDiff when it diffs and applyContent after create and update; files are pushed before the first
// start (so boot scripts see them). Messages name paths and commands, never contents or environment values.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { z } from "zod";
import { deleteFile, execInstance, type FileInfo, hashFile, IncusError, pushFile, statFile } from "../client";
import { containsUnknown, isUnknown, KNOWN_AFTER_APPLY } from "../engine/inputs";
import { type Context, ContentStepFailed, type Live } from "../engine/kind";
import { secretPaths } from "../engine/secrets";
import { encode } from "./common";

const seconds = z.number().int().min(1, "at least 1 second").max(86_400, "at most 86400 seconds (a day)");
const DEFAULT_WAIT_S = 300;
const DEFAULT_COMMAND_S = 600;

const waitSpec = z.strictObject({
  /** Seconds to wait before the step fails (default 300). The instance stays in state with the reason. */
  timeout: seconds.optional(),
});

export const waitForSchema = z.strictObject({
  /** Wait until the instance is running. */
  running: waitSpec.optional(),
  /**
   * Wait until the guest reports Ready through the guest API: a process in the instance sends
   * `PATCH /1.0 {"state":"Ready"}` on `/dev/incus/sock` (e.g. `incus-ready` in the Debian test image).
   */
  ready: waitSpec.optional(),
  /** Wait until each named NIC has a global address of the family. */
  addresses: z
    .array(
      waitSpec.extend({
        /** The interface name inside the instance (e.g. `eth0`). */
        nic: z.string().min(1),
        family: z.enum(["ipv4", "ipv6"]),
      }),
    )
    .optional(),
});
export type WaitFor = z.output<typeof waitForSchema>;

const absolutePath = z.string().regex(/^\/[^\0]*$/, "must be an absolute path inside the instance");
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

export const commandSchema = z.strictObject({
  /** argv (run as is), or a string run with `sh -c`. */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
  /**
   * create (default): after the instance is created, and again when this command changes or its last run failed;
   * update: also after every update of the instance; always: on every `up`.
   */
  when: z.enum(["create", "update", "always"]).optional(),
  /**
   * Values the command depends on (a version, an image's fingerprint): when any of them changes, the command runs
   * again, whatever `when` says.
   */
  triggers: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  /** Working directory inside the instance. */
  cwd: absolutePath.optional(),
  /** uid and gid the command runs as (default 0). */
  user: z.number().int().min(0).optional(),
  group: z.number().int().min(0).optional(),
  /** Seconds the command may take (default 600). */
  timeout: seconds.optional(),
});
export type CommandSpec = z.output<typeof commandSchema>;
export const commandsSchema = z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "command names: letters, digits, '_', '.', '-'"), commandSchema);

/** What the content hooks read from the inputs. */
export interface ContentInputs {
  name: string;
  running?: boolean;
  waitFor?: WaitFor;
  files?: Record<string, FileSpec>;
  commands?: Record<string, CommandSpec>;
  /** Outputs carried over from the last run (see instance.ts outputs). */
  fileDigests?: Record<string, FileRecord>;
  commandResults?: Record<string, CommandResult>;
}

/** What was pushed: the content's sha256 and the file's metadata right after, so an unchanged file is not downloaded. */
export interface FileRecord {
  sha256: string;
  modified?: string;
  size?: number;
}

export interface CommandResult {
  exitCode: number;
  /** The end of the output (at most 4 KiB each), the program's secret values replaced by "[secret]". */
  stdout: string;
  stderr: string;
  /**
   * sha256 of the command's declaration (triggers included) when it last ran: what tells a changed command, also
   * after a failed `up` that recorded the new inputs. Absent in state written before it was kept.
   */
  digest?: string;
}

/** Results of the last apply, per inputs object, for the outputs (also after a failure: the engine's partial state). */
const applied = new WeakMap<object, { fileDigests: Record<string, FileRecord>; commandResults: Record<string, CommandResult> }>();
/** Files already pushed in this apply (before the first start), so applyContent does not check them again. */
const pushedBeforeStart = new WeakSet<object>();

export function contentOutputs(inputs: ContentInputs): { fileDigests: Record<string, FileRecord>; commandResults: Record<string, CommandResult> } {
  const run = applied.get(inputs);
  // Only the files and commands the program still declares.
  const keep = <T>(m: Record<string, T> | undefined, names: object | undefined) =>
    Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => names && k in names));
  return {
    fileDigests: keep({ ...inputs.fileDigests, ...run?.fileDigests }, inputs.files),
    commandResults: keep({ ...inputs.commandResults, ...run?.commandResults }, inputs.commands),
  };
}

function record(inputs: ContentInputs) {
  let r = applied.get(inputs);
  if (!r) applied.set(inputs, (r = { fileDigests: {}, commandResults: {} }));
  return r;
}

// ---- files ---------------------------------------------------------------------------------------------------

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

/** Pushes the files that differ; records what was pushed. */
async function pushFiles(ctx: Context, inputs: ContentInputs): Promise<void> {
  const out = record(inputs);
  for (const [path, f] of Object.entries(inputs.files ?? {})) {
    const want = await desiredDigest(f);
    const have = await liveFile(ctx, inputs.name, path, inputs.fileDigests?.[path]);
    if (fileDrift(f, want, have) === undefined) {
      out.fileDigests[path] = { sha256: want, modified: have.info?.modified, size: have.info?.size };
      continue;
    }
    // Incus applies mode and owner only to a new file: a file with the wrong ones is re-created.
    if (have.info) await deleteFile(ctx.client, inputs.name, path, ctx.project);
    try {
      await pushFile(ctx.client, inputs.name, path, f.content !== undefined ? Buffer.from(f.content, "utf8") : f.source!, {
        project: ctx.project,
        mode: f.mode === undefined ? undefined : parseInt(f.mode, 8),
        uid: f.uid,
        gid: f.gid,
      });
    } catch (err) {
      throw new Error(`files[${JSON.stringify(path)}]: cannot push: ${err instanceof IncusError ? err.incusMessage : (err as Error).message}`);
    }
    const info = await statFile(ctx.client, inputs.name, path, ctx.project);
    out.fileDigests[path] = { sha256: want, modified: info?.modified, size: info?.size };
  }
}

/** Deletes the files the last `up` managed and the program no longer declares. */
async function deleteDroppedFiles(ctx: Context, inputs: ContentInputs, olds?: ContentInputs): Promise<void> {
  for (const path of Object.keys(olds?.files ?? {})) {
    if (!(path in (inputs.files ?? {}))) await deleteFile(ctx.client, inputs.name, path, ctx.project);
  }
}

// ---- commands ------------------------------------------------------------------------------------------------

/** sha256 of a command's declaration, keys sorted (state read back from Pulumi need not keep their order). */
export function commandDigest(c: CommandSpec): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canonical(c)))
    .digest("hex");
}

/** Why the command must run in this apply, or undefined. `olds` is the stored state (undefined at create). */
function commandDue(name: string, c: CommandSpec, inputs: ContentInputs, olds: ContentInputs | undefined, updating: boolean): string | undefined {
  const when = c.when ?? "create";
  if (when === "always") return "runs on every up";
  const last = inputs.commandResults?.[name];
  if (!last) return "never ran";
  if (last.exitCode !== 0) return `failed last time (exit code ${last.exitCode}), will run again`;
  // In a preview, a trigger (or any part) may come from a resource not made yet.
  if (containsUnknown(c)) return `depends on ${KNOWN_AFTER_APPLY}; runs again if it changes`;
  const before = olds?.commands?.[name];
  // State written before results kept their digest: the stored declaration is what ran.
  const ranWith = last.digest ?? (before ? commandDigest(before) : undefined);
  if (ranWith !== undefined && ranWith !== commandDigest(c)) {
    // Which part changed is known only when the stored declaration is the one that ran.
    const untriggered = (x: CommandSpec) => commandDigest({ ...x, triggers: undefined });
    return before && commandDigest(before) === ranWith && untriggered(before) === untriggered(c) ? "triggers changed, will run again" : "changed";
  }
  if (when === "update" && updating) return "runs on every update";
  return undefined;
}

async function runCommands(ctx: Context, inputs: ContentInputs, olds: ContentInputs | undefined, updating: boolean): Promise<void> {
  const out = record(inputs);
  // Results from before digests were kept get the stored declaration's, so a command this apply does not reach
  // (an earlier one fails) is still known as changed once the failure has recorded the new inputs.
  for (const [name, last] of Object.entries(inputs.commandResults ?? {})) {
    const before = olds?.commands?.[name];
    if (last.digest === undefined && before && inputs.commands?.[name]) out.commandResults[name] = { ...last, digest: commandDigest(before) };
  }
  for (const [name, c] of Object.entries(inputs.commands ?? {})) {
    if (!commandDue(name, c, inputs, olds, updating)) continue;
    const argv = typeof c.command === "string" ? ["sh", "-c", c.command] : c.command;
    let res;
    try {
      res = await execInstance(ctx.client, inputs.name, argv, {
        project: ctx.project,
        environment: c.environment,
        cwd: c.cwd,
        user: c.user,
        group: c.group,
        timeoutMs: (c.timeout ?? DEFAULT_COMMAND_S) * 1000,
      });
    } catch (err) {
      const why = err instanceof IncusError && err.isTimeout ? `did not finish within ${c.timeout ?? DEFAULT_COMMAND_S} s` : (err as Error).message;
      throw new Error(`commands.${name}: ${ctx.redact(why)}`);
    }
    // The program's secret values are hidden; parts of them (a line of a secret file) cannot be: the output is kept
    // only in `commandResults`, which is always a secret output (instance.ts).
    const result = { exitCode: res.exitCode, stdout: ctx.redact(res.stdout), stderr: ctx.redact(res.stderr), digest: commandDigest(c) };
    out.commandResults[name] = result;
    if (res.exitCode !== 0) {
      const tail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-10).join("\n");
      // The message is printed in plain text: with secret inputs, the output may hold part of one.
      const shown = !tail
        ? ""
        : secretPaths(inputs as unknown as Record<string, unknown>).length
          ? "; its output is withheld here because the instance has secret inputs (it is kept in the secret output `commandResults`)"
          : `; last output:\n${tail}`;
      throw new ContentStepFailed(`commands.${name}: exited with code ${res.exitCode}${shown}`);
    }
  }
}

// ---- waits ---------------------------------------------------------------------------------------------------

interface Wait {
  what: string;
  timeoutS: number;
  met(live: Live): boolean;
}

function addressesOf(live: Live, nic: string, family: "ipv4" | "ipv6"): string[] {
  const net = (live.state as { network?: Record<string, { addresses?: { family: string; address: string; scope: string }[] }> } | undefined)?.network;
  return (net?.[nic]?.addresses ?? []).filter((a) => a.family === (family === "ipv4" ? "inet" : "inet6") && a.scope === "global").map((a) => a.address);
}

const RUNNING_NOW = new Set(["Running", "Ready"]);

function waitsOf(w: WaitFor | undefined): Wait[] {
  if (!w) return [];
  const waits: Wait[] = [];
  if (w.running)
    waits.push({
      what: "waitFor.running: the instance is not running",
      timeoutS: w.running.timeout ?? DEFAULT_WAIT_S,
      met: (l) => RUNNING_NOW.has(String(l.status)),
    });
  for (const a of w.addresses ?? []) {
    waits.push({
      what: `waitFor.addresses: ${a.nic} has no ${a.family} address`,
      timeoutS: a.timeout ?? DEFAULT_WAIT_S,
      met: (l) => addressesOf(l, a.nic, a.family).length > 0,
    });
  }
  if (w.ready)
    waits.push({ what: "waitFor.ready: the guest has not reported Ready", timeoutS: w.ready.timeout ?? DEFAULT_WAIT_S, met: (l) => l.status === "Ready" });
  return waits;
}

/**
 * Waits until every wait is met: re-reads the instance on each of its lifecycle events (instance-started,
 * instance-ready, …) and, as the fallback for lost events and for addresses (no event announces them), on a timer
 * that backs off from 0.5 s to 5 s. Returns the last live object read.
 */
async function waitUntilMet(ctx: Context, inputs: ContentInputs, path: string, query: Record<string, string | number>, live: Live): Promise<Live> {
  const pending = waitsOf(inputs.waitFor).filter((w) => !w.met(live));
  if (!pending.length) return live;
  const started = Date.now();
  let wake: (() => void) | undefined;
  const source = `/1.0/instances/${encode(inputs.name)}`;
  const sub = ctx.client.subscribe({ types: ["lifecycle"], project: ctx.project }, (event) => {
    const m = event.metadata as { source?: string } | null | undefined;
    if (m?.source === source) wake?.();
  });
  await sub.ready.catch(() => undefined); // without the stream, the timer alone drives the checks
  try {
    let delay = 500;
    for (;;) {
      live = (await ctx.client.get<Live>(path, { project: ctx.project, query })).value;
      const stillPending = pending.filter((w) => !w.met(live));
      if (!stillPending.length) return live;
      const elapsed = Date.now() - started;
      const late = stillPending.find((w) => elapsed >= w.timeoutS * 1000);
      if (late) throw new Error(`${late.what} after ${late.timeoutS} s (status ${String(live.status)})`);
      const untilTimeout = Math.min(...stillPending.map((w) => w.timeoutS * 1000 - elapsed));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, Math.min(delay, untilTimeout)));
        function done() {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        }
        wake = done;
      });
      delay = Math.min(delay * 2, 5_000);
    }
  } finally {
    sub();
  }
}

// ---- hooks ---------------------------------------------------------------------------------------------------

/** Before the first start (and any start from stopped): push the files so boot scripts find them. */
export async function beforeStart(ctx: Context, inputs: ContentInputs): Promise<void> {
  if (!inputs.files) return;
  await pushFiles(ctx, inputs);
  pushedBeforeStart.add(inputs);
}

/** After create and update: files, then waits, then commands (which may rely on both). */
export async function applyContent(
  ctx: Context,
  inputs: ContentInputs,
  live: Live,
  olds: ContentInputs | undefined,
  reread: { path: string; query: Record<string, string | number> },
): Promise<Live> {
  if (inputs.files && !pushedBeforeStart.has(inputs)) await pushFiles(ctx, inputs);
  await deleteDroppedFiles(ctx, inputs, olds);
  if (inputs.running === false) return live; // waits and commands need a running instance
  live = await waitUntilMet(ctx, inputs, reread.path, reread.query, live);
  await runCommands(ctx, inputs, olds, olds !== undefined);
  return live;
}

/** What applyContent would do, one line each, for the preview: file drift, removed files, unmet waits, due commands. */
export async function contentDiff(ctx: Context, news: ContentInputs, olds: ContentInputs, live: Live): Promise<string[]> {
  const lines: string[] = [];
  for (const [path, f] of Object.entries(news.files ?? {})) {
    const why = fileDrift(f, await desiredDigest(f), await liveFile(ctx, news.name, path, news.fileDigests?.[path]));
    if (why) lines.push(`files[${JSON.stringify(path)}]: ${why}`);
  }
  for (const path of Object.keys(olds.files ?? {})) {
    if (!(path in (news.files ?? {}))) lines.push(`files[${JSON.stringify(path)}]: no longer in the program, will be deleted from the instance`);
  }
  if (news.running === false) return lines;
  for (const w of waitsOf(news.waitFor)) if (!w.met(live)) lines.push(w.what);
  for (const [name, c] of Object.entries(news.commands ?? {})) {
    // "update" commands run when something else changes; on their own they are no reason to update.
    const due = commandDue(name, c, news, olds, false);
    if (due) lines.push(`commands.${name}: ${due}`);
  }
  return lines;
}
