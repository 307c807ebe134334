// Writes to an object that exists: converge (the ETag-guarded full PUT, then what the kind applies beyond its fields),
// update, rename and delete. create.ts makes the object (or takes it over) and then converges it too.
import { isNotFound, operationGone, settledWrite } from "../client";
import { type EngineBase, PartialFailure, PROVIDER_KEY, withoutProvider } from "./base";
import { LEARNT_KEY, type State } from "./fields";
import { ContentStepFailed, type CommonInputs, type Context, type Live } from "./kind";
import { mustRead, readShared, readLive, withDetails } from "./live";
import { CLAIM_KEY, parseMark, readRecord, writeRecord } from "./ownership";
import { recordOf, stillOurs } from "./takeover";

/**
 * Brings the live object to the program's fields: a full PUT guarded by If-Match. On 412 someone else wrote
 * in between: read again and rebuild, so their change to anything the program does not manage is kept.
 */
export async function converge<I extends CommonInputs>(
  e: EngineBase<I>,
  ctx: Context,
  state: I & State,
  olds?: State,
  initial?: { live: Live; etag?: string },
): Promise<Live> {
  let { live, etag } = initial ?? (await mustRead(e, ctx, state));
  const m = e.model;
  const w = m.want(state, olds);
  const changed = m.changed(w, live).update;
  if (changed.length) {
    // Some changes need the object in another state first (a stopped instance); the kind says how.
    const after = { ...state, ...w.values } as I;
    const undo = await e.spec.aroundUpdate?.(ctx, state, after, live, changed);
    try {
      await ctx.client.update<Live>(
        e.spec.path(state),
        (current) => (m.changed(w, current).update.length ? m.body(w, current) : undefined),
        // After a state change the ETag has moved: then the first attempt reads again.
        // A read without its ETag (a shared list) is read again before the PUT.
        { ...e.writeOpts(ctx), current: undo || etag === undefined ? undefined : { value: live, etag } },
      );
    } finally {
      if (undo) await undo();
    }
    live = (await mustRead(e, ctx, state)).live;
  }
  const beyond = e.spec.beyondFields;
  if (beyond?.diff(state, live, olds as Partial<I>).length) {
    await beyond.apply(ctx, state, live, olds as Partial<I> | undefined);
    live = (await mustRead(e, ctx, state)).live;
  }
  if (e.spec.content) live = await e.spec.content.apply(ctx, state, live, olds as I | undefined);
  return live;
}

export async function update<I extends CommonInputs>(e: EngineBase<I>, id: string, oldsRaw: State, newsRaw: State): Promise<{ outs: State }> {
  const olds = withoutProvider(oldsRaw);
  const news = { ...e.carriedIdentity(olds), ...withoutProvider(newsRaw) } as I & State;
  const ctx = e.context(news, olds);
  // The server's keys stay the server's until the program names them.
  const state = { ...news, [LEARNT_KEY]: e.model.want(news, olds).learnt, ...e.claimOf(olds) } as unknown as I & State;
  try {
    await e.spec.verify?.(ctx, news, olds as Partial<I>);
    if (news.name !== olds.name && !e.spec.nameIsLabel) await rename(e, ctx, olds, news);
    const live = await converge(e, ctx, state, olds);
    return { outs: e.outputs(state, await withDetails(e, ctx, live, state), ctx) };
  } catch (err) {
    // Everything but a step inside the object (a command) was applied: the new inputs are true of it, and the
    // step's failed result is kept, so the next preview says it failed (not that it never ran).
    const found = err instanceof ContentStepFailed ? await readLive(e, ctx, news).catch(() => null) : null;
    if (found) {
      const live = await withDetails(e, ctx, found.live, news).catch(() => found.live);
      const props = { ...e.outputs(state, live, ctx), [PROVIDER_KEY]: newsRaw[PROVIDER_KEY] ?? oldsRaw[PROVIDER_KEY] };
      throw new PartialFailure(ctx.redact(`${e.describe(news, ctx)}: ${e.message(err)}`), id, props);
    }
    e.fail(news, ctx, err, e.spec.nameIsLabel ? undefined : olds.name);
  }
}

async function rename<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, olds: State, news: State): Promise<void> {
  const from = e.spec.path(olds as I);
  const undo = e.spec.aroundUpdate ? await e.spec.aroundUpdate(ctx, olds as I, news as I, (await mustRead(e, ctx, olds)).live, ["name"]) : undefined;
  try {
    // A rename whose operation was gone: done when the object is at its new name only, not done when at its old.
    await settledWrite(
      () => ctx.client.post(from, { name: news.name }, e.reqOpts(ctx)),
      async () => {
        const [at, was] = await Promise.all([readLive(e, ctx, news), readLive(e, ctx, olds)]);
        return at && !was ? true : was && !at ? false : undefined;
      },
    );
  } finally {
    if (undo) await undo();
  }
  // A mark kept in the server's config moves with the object.
  const record = typeof olds[CLAIM_KEY] === "string" ? recordOf(e, ctx, olds) : undefined;
  const value = record ? await readRecord(ctx.client, record) : undefined;
  if (record && value && parseMark(value)?.claim === olds[CLAIM_KEY]) {
    await writeRecord(ctx.client, recordOf(e, ctx, news)!, value);
    await writeRecord(ctx.client, record, "");
  }
}

export async function remove<I extends CommonInputs>(e: EngineBase<I>, propsRaw: State): Promise<void> {
  const props = withoutProvider(propsRaw) as I & State;
  const ctx = e.context(props);
  try {
    const reset = e.spec.resetOnDelete?.(props, ctx);
    if (reset) {
      // Incus will not delete it: put back what a new one has, owning every field so nothing of ours stays.
      await converge(e, ctx, { ...props, ...reset, [LEARNT_KEY]: {} } as unknown as I & State);
    } else if (e.spec.delete) {
      // A kind with its own delete needs the live object (an instance is stopped first).
      const found = await readLive(e, ctx, props);
      if (found && (await stillOurs(e, ctx, props, found))) await e.spec.delete(ctx, props, found.live);
      else if (found) return;
    } else if (typeof props[CLAIM_KEY] === "string" && !(await stillOurs(e, ctx, props, await readShared(e, ctx, props)))) {
      // Another create took it over: left where it is, with its record.
      return;
    } else {
      // A 404 means it is gone already.
      await ctx.client.delete(e.spec.path(props), e.reqOpts(ctx));
    }
  } catch (err) {
    // A delete whose operation was gone before its end was read: the object says whether it happened.
    const deleted = isNotFound(err) || (operationGone(err) && !(await readLive(e, ctx, props).catch(() => true)));
    if (!deleted) e.fail(props, ctx, err);
  }
  // The object is gone: so is the record of its mark, when it holds this resource's claim.
  const record = typeof props[CLAIM_KEY] === "string" ? recordOf(e, ctx, props) : undefined;
  if (record && parseMark(await readRecord(ctx.client, record))?.claim === props[CLAIM_KEY]) await writeRecord(ctx.client, record, "").catch(() => undefined);
}
