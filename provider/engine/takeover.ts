// The write path's side of ownership (rules in ownership.ts): where a create puts its mark, when it may take an
// existing object over (its own, left by an interrupted run), and whether a delete may still remove the object.
import type { EngineBase, Found } from "./base";
import type { State } from "./fields";
import { OWNER_MARKER } from "./inputs";
import type { CommonInputs, Context, Live } from "./kind";
import { readLive, readLiveIfAddressable } from "./live";
import { CLAIM_KEY, type Mark, markValue, ownerParts, parseMark, readRecord, recordKey, resourceOf } from "./ownership";
import { perMember } from "./target";

/** Whether a create of these inputs writes the owner mark. */
export function marks<I extends CommonInputs>(e: EngineBase<I>, inputs: State): boolean {
  return !!e.model.ownerField && !e.spec.mark?.skip?.(inputs as I);
}

/** The inputs with the owner marker added to the kind's marker map (sent only in the create request). */
export function withOwnerMarker<I extends CommonInputs>(e: EngineBase<I>, inputs: I & State, owner: string | undefined, claim: string): I & State {
  if (!owner || !marks(e, inputs)) return inputs;
  const field = e.model.ownerField!;
  const map = (inputs[field] ?? {}) as State;
  return { ...inputs, [field]: { ...map, [OWNER_MARKER]: markValue(owner, claim) } };
}

function markOf<I extends CommonInputs>(e: EngineBase<I>, found: { live: Live } | null): Mark | undefined {
  const field = e.model.ownerField;
  return field ? parseMark(((found?.live[e.model.api(field)] ?? {}) as State)[OWNER_MARKER]) : undefined;
}

/**
 * Where the server's config keeps the mark of an object of a kind without a map for it; undefined for other kinds.
 * A per-member object's record is its program's `target` member's (the same at create and delete, unlike `location`).
 */
export function recordOf<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): string | undefined {
  if (marks(e, state) || !e.addressable(state)) return undefined;
  const member = perMember(e.spec) && typeof state.target === "string" && !state.target.startsWith("@") ? state.target : undefined;
  return recordKey(ctx.project, e.spec.path(state as I), member);
}

/**
 * The existing object when it carries this resource's own mark (made by an interrupted run of this stack), after any
 * operation still running on it has ended and with this create's claim written into its mark; null when someone
 * else made it. Fails, naming the holder, when another resource of the stack holds it (ownership.ts).
 */
export async function ownObject<I extends CommonInputs>(
  e: EngineBase<I>,
  ctx: Context,
  inputs: I & State,
  owner: string,
  claim: string,
  recorded?: Mark,
): Promise<Found | null> {
  // Objects without a mark of their own: what the server's config recorded for them (ownership.ts).
  const marked = marks(e, inputs);
  if (!marked && !recorded) return null;
  let found = await readLiveIfAddressable(e, ctx, inputs);
  const mark = marked ? markOf(e, found) : recorded;
  if (!found || !mark) return null;
  if (mark.owner !== owner) {
    const theirs = ownerParts(mark.owner);
    if (theirs.stack !== ownerParts(owner).stack || !theirs.resource) return null;
    e.fail(
      inputs,
      ctx,
      `it already exists and belongs to another resource of this stack, ${resourceOf(mark.owner)}: two resources cannot manage one object. ` +
        "Give one of them another `name`; if this resource was moved (a new parent or logical name), add `aliases` naming its old URN so Pulumi keeps it as the same resource",
    );
  }
  if (e.recorded.has(e.place(ctx, inputs))) {
    e.fail(
      inputs,
      ctx,
      "it already exists and this stack still records it as this resource's current object, which a replacement deletes only after its create. " +
        "A replacement that keeps the name must delete first: remove `deleteBeforeReplace: false` from the resource's options",
    );
  }
  e.report(inputs, ctx, [
    "carries this resource's own mark (made by an interrupted run of this stack, or the object of a replacement run create-first); taking it over",
  ]);
  if (await waitForOperationsOn(e, ctx, e.spec.path(inputs))) found = await readLive(e, ctx, inputs);
  if (!marked) return found;
  if (!found || markOf(e, found)?.owner !== owner) return null;
  // From now on the object is this create's: an older resource of the stack that recorded it (the old half of a
  // replacement Pulumi ran create-first without asking our diff) no longer deletes it.
  await writeClaim(e, ctx, inputs, owner, claim);
  return readLive(e, ctx, inputs);
}

/**
 * A create Incus accepted whose operation was gone before its end was read (it keeps a finished operation ~5 s; a
 * loaded provider can ask later): the object tells. Returns it when it is this create's own (its mark carries this
 * create's claim, or for a kind without a map the server's record still holds this create's mark), null when no such
 * object exists (the create failed and Incus reverted it), undefined when it cannot be told (no owner mark). Fails when
 * the object is someone else's: a create is never settled on an object another resource made.
 */
export async function settleGoneCreate<I extends CommonInputs>(
  e: EngineBase<I>,
  ctx: Context,
  inputs: I & State,
  owner: string | undefined,
  claim: string,
): Promise<Found | null | undefined> {
  if (!owner) return undefined;
  const path = e.spec.path(inputs);
  // A member of a cluster can still be finishing it; elsewhere the operation has ended, so this finds none.
  await waitForOperationsOn(e, ctx, path);
  const found = await readLive(e, ctx, inputs);
  if (!found) return null;
  const record = recordOf(e, ctx, inputs);
  const mark = record ? parseMark(await readRecord(ctx.client, record)) : markOf(e, found);
  if (mark?.owner === owner && mark.claim === claim) return found;
  if (record && mark === undefined) return undefined;
  e.fail(
    inputs,
    ctx,
    `Incus accepted the create, but its operation ended unseen and the object there is not this create's (${mark ? `it belongs to ${resourceOf(mark.owner)}` : "it carries no owner mark"}): it is left alone`,
  );
}

/** Writes this create's claim into the object's mark (ETag-guarded, every other value as it is). */
async function writeClaim<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, inputs: I & State, owner: string, claim: string): Promise<void> {
  const field = e.model.api(e.model.ownerField!);
  const w = e.model.want(inputs);
  await ctx.client.update<Live>(
    e.spec.path(inputs),
    (current) => {
      const body = e.model.body({ ...w, values: {} }, current);
      return { ...body, [field]: { ...((current[field] ?? {}) as State), [OWNER_MARKER]: markValue(owner, claim) } };
    },
    e.writeOpts(ctx),
  );
}

/** Waits for running operations that touch `path` (a create still unpacking); true when there were any. */
async function waitForOperationsOn<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, path: string): Promise<boolean> {
  const res = await ctx.client.get<{ running?: { id: string; resources?: Record<string, string[]> | null }[] }>("/1.0/operations", {
    ...e.reqOpts(ctx),
    query: { recursion: 1 },
  });
  const touching = (res.value.running ?? []).filter((op) => Object.values(op.resources ?? {}).some((list) => list.some((r) => r.split("?")[0] === path)));
  for (const op of touching) await ctx.client.waitOperation(op.id).catch(() => undefined);
  return touching.length > 0;
}

/**
 * Whether the object still carries the claim this resource recorded (ownership.ts), in its mark or, for a kind
 * without a map for it, in the server's config; when a newer create of the stack took it over, says so and the
 * delete leaves it. Objects without a claim (adopted, made before claims) are ours.
 */
export async function stillOurs<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, props: State, found: { live: Live } | null): Promise<boolean> {
  const mine = props[CLAIM_KEY];
  if (!found || typeof mine !== "string") return true;
  const record = recordOf(e, ctx, props);
  const claim = record ? parseMark(await readRecord(ctx.client, record))?.claim : markOf(e, found)?.claim;
  if (claim === undefined || claim === mine) return true;
  e.report(props, ctx, ["not deleted: a newer create of this stack took the object over (it is that resource's now)"]);
  return false;
}
