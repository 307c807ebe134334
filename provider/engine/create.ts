// create in two steps: make the object (or take it over: adopt, or this resource's own from an interrupted run), then
// settle it (converge to the program's fields). Once Incus has accepted the create, every failure keeps the object
// in state (a PartialFailure), so nothing is leaked.
import { IncusError, isAlreadyExists, operationGone, outcomeUnknown } from "../client";
import { type EngineBase, type Found, PartialFailure, PROVIDER_KEY, UNCONFIRMED_KEY, withoutProvider } from "./base";
import { providerSettings } from "./connection";
import { LEARNT_KEY, type State } from "./fields";
import { isUnknown, OWNER_KEY } from "./inputs";
import type { CommonInputs, Context } from "./kind";
import { featureOff, guardLive, mustRead, readLive, readLiveIfAddressable, readShared, redirectMessage, withDetails } from "./live";
import { CLAIM_KEY, type Mark, markValue, newClaim, parseMark, readRecord, writeRecord } from "./ownership";
import { marks, ownObject, recordOf, settleGoneCreate, withOwnerMarker } from "./takeover";
import { converge } from "./write";

/** What one create run carries from its checks to the make-or-take-over step. */
interface Run {
  owner?: string;
  claim: string;
  /** The mark an earlier create left in the server's config (kinds without a map for it). */
  recorded?: Mark;
  /** The dynamic provider's serialised code, so partial state can run it later. */
  providerCode: unknown;
}

export async function create<I extends CommonInputs>(e: EngineBase<I>, inputsRaw: State): Promise<{ id: string; outs: State }> {
  // Partial state must let the dynamic provider run later (refresh, update, destroy): it carries __provider.
  const providerCode = inputsRaw[PROVIDER_KEY];
  // The owner mark (on unless incus:markOwner is "false") is one more key on every object the stack makes. It is
  // sent in the create request and stays, so whenever a run dies (before or after Pulumi recorded the object) the
  // next run knows the object as this resource's own; it costs no request.
  const given = inputsRaw[OWNER_KEY];
  const owner = providerSettings().markOwner !== "false" && typeof given === "string" && !isUnknown(given) ? given : undefined;
  const inputs = withoutProvider(inputsRaw) as I & State;
  const ctx: Context = { ...e.context(inputs), owner };
  // Adopting looks first, so an object that is already there gets no create request (an image no upload).
  const existing = inputs.adopt ? await readLiveIfAddressable(e, ctx, inputs) : null;
  if (existing) guardLive(e, inputs, ctx, existing.live);
  else if (await featureOff(e, ctx).catch((err) => e.fail(inputs, ctx, err))) e.fail(inputs, ctx, redirectMessage(e, inputs, ctx, "would use"));
  try {
    await e.spec.verify?.(ctx, inputs);
  } catch (err) {
    e.fail(inputs, ctx, err);
  }
  // The claim of this create (ownership.ts): in the mark it writes, and in the resource's state.
  const claim = newClaim();
  // A kind with no map of its own for the mark keeps it in the server's config, written before the create request
  // (ownership.ts); what was recorded there before is what an earlier create of the object left.
  const record = owner && !existing && !marks(e, inputs) ? recordOf(e, ctx, inputs) : undefined;
  const before = record ? await readRecord(ctx.client, record) : undefined;
  if (record) await writeRecord(ctx.client, record, markValue(owner!, claim)).catch((err) => e.fail(inputs, ctx, err));
  try {
    return await makeOrTakeOver(e, ctx, inputs, existing, { owner, claim, recorded: before ? parseMark(before) : undefined, providerCode });
  } catch (err) {
    // Nothing of ours exists (a refused create): the record goes back to what it was. An object that exists is
    // recorded in the stack (a partial failure) and keeps its record.
    if (record && !(err instanceof PartialFailure)) await writeRecord(ctx.client, record, before ?? "").catch(() => undefined);
    throw err;
  }
}

/** The create itself, after the checks: makes the object, or takes over (adopt, or this resource's own), then settles it. */
async function makeOrTakeOver<I extends CommonInputs>(
  e: EngineBase<I>,
  ctx: Context,
  given: I & State,
  adopted: Found | null,
  run: Run,
): Promise<{ id: string; outs: State }> {
  const { owner, claim } = run;
  let inputs = given;
  let existing = adopted;
  const partial = (message: string, id: string, props: State, unconfirmed = false) =>
    new PartialFailure(ctx.redact(message), id, { ...props, [PROVIDER_KEY]: run.providerCode, ...(unconfirmed ? { [UNCONFIRMED_KEY]: true } : {}) });
  const located = () => ({ ...inputs, ...claimed, ...(e.spec.scoped ? { project: ctx.project } : {}) }) as State;
  let own = false;
  // This create's object, read back when the wait for its operation could not tell how it ended.
  let made: Found | null | undefined;
  let failedAfterAccepted: unknown;
  const claimed: State = owner && (marks(e, inputs) || e.addressable(inputs)) ? { [CLAIM_KEY]: claim } : {};
  if (!existing) {
    try {
      const marked = withOwnerMarker(e, inputs, owner, claim);
      if (e.spec.create) inputs = { ...inputs, ...((await e.spec.create(ctx, marked)) ?? {}) };
      else {
        const collection = e.spec.collection?.(inputs) ?? e.spec.path(inputs).replace(/\/[^/]+$/, "");
        await ctx.client.post(collection, e.model.createBody(marked), e.reqOpts(ctx));
      }
    } catch (err) {
      if (isAlreadyExists(err)) {
        if (!inputs.adopt) {
          // Made by an earlier run of this same stack that was killed before it could record it: take it over.
          existing = owner ? await ownObject(e, ctx, inputs, owner, claim, run.recorded) : null;
          if (!existing) e.fail(inputs, ctx, `it already exists; set \`adopt: true\` to manage the existing object, or choose another name`);
          own = true;
        }
      } else if (err instanceof IncusError && err.operation) {
        // Incus accepted the create and its operation failed part-way (an instance created, then its start
        // failed): whatever the operation left is ours, since a name already in use is refused before that.
        failedAfterAccepted = err;
      } else if (
        operationGone(err) &&
        e.addressable(inputs) &&
        (made = await settleGoneCreate(e, ctx, inputs, owner, claim).catch((settling) => {
          if (settling instanceof PartialFailure || !outcomeUnknown(settling)) throw settling;
          return undefined;
        })) !== undefined
      ) {
        // Nothing there: the create failed and Incus reverted it; what failed went with the operation.
        if (!made) e.fail(inputs, ctx, `${e.message(err)}, and no such object exists: the create failed (run \`pulumi up\` again to retry it)`);
      } else if (outcomeUnknown(err) && e.addressable(inputs)) {
        // Incus may have made it (it accepted the request, or the connection broke after sending): record it, so
        // the next run finds it (and makes it again, since a half-made object cannot be trusted) or finds nothing.
        throw partial(
          `${e.describe(inputs, ctx)}: the create may or may not have happened (${e.message(err)}); ` +
            "it is recorded in the stack and the next `pulumi up` checks and completes it",
          e.idOf(inputs, ctx),
          located(),
          true,
        );
      } else {
        e.fail(inputs, ctx, err);
      }
    }
  }
  // Nothing was left behind (Incus reverted the create): a plain failure. When that cannot be read (the daemon
  // went away), it is recorded below, so the next run finds out.
  // An object whose path is only known from a successful create (a published image) cannot be looked for.
  if (
    failedAfterAccepted &&
    (!e.addressable(inputs) ||
      (await readLive(e, ctx, inputs).then(
        (found) => !!found,
        () => undefined,
      )) === false)
  ) {
    e.fail(inputs, ctx, failedAfterAccepted);
  }
  const id = e.idOf(inputs, ctx);
  let state = inputs;
  try {
    if (failedAfterAccepted) throw failedAfterAccepted;
    // The object as made, read after the create returned (shared with the creates under way: live.ts `readShared`).
    const current = existing ?? made ?? (await readShared(e, ctx, inputs)) ?? (await mustRead(e, ctx, inputs));
    // What the object had before the program took it over is learnt: the server's, or the user's from before adopt
    // (an object this stack made in an interrupted run is its own, not adopted).
    // An adopted object gets no claim: the stack did not make it, and its mark (if any) is someone else's.
    state = { ...inputs, ...(existing && !own ? {} : claimed), [LEARNT_KEY]: e.model.learn(inputs, current.live, !!existing && !own) } as unknown as I & State;
    const live = await converge(e, ctx, state, undefined, current);
    return { id, outs: e.outputs(state, await withDetails(e, ctx, live, state), ctx) };
  } catch (err) {
    // The object exists: keep it in state so nothing is leaked, and report what failed (with what was learnt and
    // what the kind did before the failure, e.g. an instance's commands that ran).
    const found = await readLive(e, ctx, inputs).catch(() => null);
    const live = found ? await withDetails(e, ctx, found.live, inputs).catch(() => found!.live) : undefined;
    const props = live ? e.outputs(state, live, ctx) : located();
    const what = own
      ? "was left by an interrupted run of this stack and could not be completed"
      : existing
        ? "was adopted but could not be brought to the program's state"
        : "was created but is not ready";
    // One left by an interrupted run may be half-made: the next run makes it again rather than trust it.
    throw partial(`${e.describe(inputs, ctx)} ${what}: ${e.message(err)}`, id, props, own);
  }
}
