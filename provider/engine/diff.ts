// diff: the program against the live object (drift included), so a preview shows what the server will really get.
// Identity changes replace; field changes update (or replace, for fields Incus cannot change); the lines it prints
// are the preview's only detail for a dynamic provider, the DetailedDiff the plugin's.
import { isDeepStrictEqual } from "node:util";
import { type EngineBase, UNCONFIRMED_KEY, withoutProvider } from "./base";
import type { DetailedDiff, State } from "./fields";
import { isUnknown } from "./inputs";
import type { CommonInputs } from "./kind";
import { guardLive, readForDiff, takeHandover } from "./live";
import { perMember, targetChanged } from "./target";

export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

/**
 * The diff and, where every difference is a field (or a key of a map field), what differs property by property:
 * a resource provider plugin hands that to the engine as its detailed diff (a dynamic provider cannot).
 */
export async function diffDetailed<I extends CommonInputs>(
  e: EngineBase<I>,
  oldsRaw: State,
  newsRaw: State,
): Promise<{ result: DiffResult; detailed?: DetailedDiff }> {
  const unconfirmed = oldsRaw?.[UNCONFIRMED_KEY] === true;
  let news = withoutProvider(newsRaw);
  const olds = withoutProvider(oldsRaw);
  const replaces = new Set<string>();
  const identity = ["project", "remote", ...(e.spec.identity ?? [])];
  for (const key of identity) {
    if (key === "target" && perMember(e.spec)) {
      if (targetChanged(news, olds)) replaces.add(key);
    } else if (news[key] !== undefined && !isDeepStrictEqual(news[key], olds[key])) replaces.add(key);
  }
  const renamed = news.name !== olds.name && !e.spec.nameIsLabel;
  if (renamed && (!e.spec.renamable || isUnknown(news.name))) replaces.add("name");
  // Wherever the new object would live where the old one does, a replacement must delete first: the engine also
  // uses this for replacements it decides itself (replaceOnChanges).
  const samePlace = !renamed && replaces.size === 0;
  if (replaces.size) {
    const detailed: DetailedDiff = Object.fromEntries([...replaces].map((k) => [k, { kind: "update", replace: true }]));
    return { result: { changes: true, replaces: [...replaces], deleteBeforeReplace: !renamed }, detailed };
  }
  // A changed setting is saved by an update that sends nothing to Incus, so it applies next time (destroy, stop).
  const settingsChanged = e.settingKeys().some((k) => !isDeepStrictEqual(news[k], olds[k]));

  const ctx = e.context(olds, news);
  const handed = takeHandover(e, ctx, olds);
  const found = handed !== undefined ? handed : await readForDiff(e, ctx, olds);
  // Identity learnt at create (an image's fingerprint) stays in the outputs, not in the program.
  news = { ...e.carriedIdentity(olds), ...news };
  if (!found) {
    // Deleted behind our back: re-create it under the same name.
    return { result: { changes: true, replaces: ["name"], deleteBeforeReplace: true } };
  }
  if (unconfirmed) {
    // Made by a create whose end nobody saw (the daemon or the connection died): Incus may have kept it half-made.
    e.report(olds, ctx, ["its create was interrupted; it is made again"]);
    return { result: { changes: true, replaces: ["name"], deleteBeforeReplace: true } };
  }
  guardLive(e, olds, ctx, found.live);
  // A resource of the stack records this object: no create of this run may take it over (see ownership.ts).
  e.recorded.add(e.place(ctx, olds));
  try {
    await e.spec.verify?.(ctx, news as I, olds as Partial<I>);
  } catch (err) {
    e.fail(news, ctx, err);
  }
  const m = e.model;
  const w = m.want(news, olds);
  const changed = m.changed(w, found.live);
  const extra = [
    ...(e.spec.beyondFields?.diff(news as I, found.live, olds as Partial<I>) ?? []),
    ...((await e.spec.content?.diff(ctx, news as I, olds as I, found.live)) ?? []),
  ];
  e.report(olds, ctx, [...m.describe(w, found.live, [...changed.replace, ...changed.update]), ...extra]);
  // Differences only the kind's hooks see (files, commands, running state) have no property of their own to name.
  const settings = e.settingKeys().filter((k) => !k.startsWith("__") && !isDeepStrictEqual(news[k], olds[k]));
  const detailed = extra.length ? undefined : m.detail(w, found.live, changed, renamed, settings);
  if (changed.replace.length) return { result: { changes: true, replaces: changed.replace, deleteBeforeReplace: !renamed }, detailed };
  const changes = renamed || changed.update.length > 0 || extra.length > 0 || settingsChanged;
  return { result: changes && samePlace ? { changes, deleteBeforeReplace: true } : { changes }, detailed };
}
