// What an instance holds and does beyond its config: files pushed into it (instanceFiles.ts), commands run in it
// (instanceCommands.ts), and waits until it is usable (instanceWaits.ts). Part of the Instance kind (instance.ts):
// the engine calls contentDiff when it diffs and applyContent after create and update; files are pushed before the
// first start (so boot scripts see them). This module orders the steps and keeps their results for the outputs.
import type { Context, Live } from "../engine/kind";
import { type CommandInputs, type CommandResult, commandsDiff, runCommands } from "./instanceCommands";
import { deleteDroppedFiles, type FileInputs, type FileRecord, filesDiff, pushFiles } from "./instanceFiles";
import { unmetWaits, type WaitFor, waitUntilMet } from "./instanceWaits";

/** What the content hooks read from the inputs. */
export interface ContentInputs extends FileInputs, CommandInputs {
  name: string;
  running?: boolean;
  waitFor?: WaitFor;
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

/** Before the first start (and any start from stopped): push the files so boot scripts find them. */
export async function beforeStart(ctx: Context, inputs: ContentInputs): Promise<void> {
  if (!inputs.files) return;
  await pushFiles(ctx, inputs, record(inputs).fileDigests);
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
  if (inputs.files && !pushedBeforeStart.has(inputs)) await pushFiles(ctx, inputs, record(inputs).fileDigests);
  await deleteDroppedFiles(ctx, inputs, olds);
  if (inputs.running === false) return live; // waits and commands need a running instance
  live = await waitUntilMet(ctx, inputs, reread.path, reread.query, live);
  await runCommands(ctx, inputs, olds, olds !== undefined, record(inputs).commandResults);
  return live;
}

/** What applyContent would do, one line each, for the preview: file drift, removed files, unmet waits, due commands. */
export async function contentDiff(ctx: Context, news: ContentInputs, olds: ContentInputs, live: Live): Promise<string[]> {
  const lines = await filesDiff(ctx, news, olds);
  if (news.running === false) return lines;
  return [...lines, ...unmetWaits(news.waitFor, live), ...commandsDiff(news, olds)];
}
