// An instance's `commands`: when each is due (create, update, always, a changed declaration or trigger, a failed last
// run), running it, and its result. Part of the Instance kind's content (instanceContent.ts). Messages name commands,
// never environment values; output is redacted and withheld from errors when the instance has secret inputs.
import { createHash } from "node:crypto";
import { z } from "zod";
import { execInstance, IncusError } from "../client";
import { containsUnknown, KNOWN_AFTER_APPLY } from "../engine/inputs";
import { type Context, ContentStepFailed } from "../engine/kind";
import { secretPaths } from "../engine/secrets";
import { absolutePath } from "./instanceFiles";
import { seconds } from "./instanceWaits";

const DEFAULT_COMMAND_S = 600;

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

/** What the command steps read from the instance's inputs. */
export interface CommandInputs {
  name: string;
  commands?: Record<string, CommandSpec>;
  /** Carried over from the last run (the instance's `commandResults` output). */
  commandResults?: Record<string, CommandResult>;
}

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
function commandDue(name: string, c: CommandSpec, inputs: CommandInputs, olds: CommandInputs | undefined, updating: boolean): string | undefined {
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

/** The preview's lines for the commands: one for each that would run. */
export function commandsDiff(news: CommandInputs, olds: CommandInputs): string[] {
  const lines: string[] = [];
  for (const [name, c] of Object.entries(news.commands ?? {})) {
    // "update" commands run when something else changes; on their own they are no reason to update.
    const due = commandDue(name, c, news, olds, false);
    if (due) lines.push(`commands.${name}: ${due}`);
  }
  return lines;
}

/** Runs the commands that are due, in order; records their results in `out`. A non-zero exit stops the step. */
export async function runCommands(
  ctx: Context,
  inputs: CommandInputs,
  olds: CommandInputs | undefined,
  updating: boolean,
  out: Record<string, CommandResult>,
): Promise<void> {
  // Results from before digests were kept get the stored declaration's, so a command this apply does not reach
  // (an earlier one fails) is still known as changed once the failure has recorded the new inputs.
  for (const [name, last] of Object.entries(inputs.commandResults ?? {})) {
    const before = olds?.commands?.[name];
    if (last.digest === undefined && before && inputs.commands?.[name]) out[name] = { ...last, digest: commandDigest(before) };
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
    out[name] = result;
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
