// Reading the live object: a plain GET (with ETag) for writes, the read cache for reads that need none (diff,
// refresh), the hand-over from a refresh's read to the diff that follows, and the guard against objects Incus serves
// from another project. `read` (refresh) is here too.
import { IncusError, isNotFound } from "../client";
import { defined, type EngineBase, type Found } from "./base";
import { LEARNT_KEY, type State } from "./fields";
import type { CommonInputs, Context, Live } from "./kind";
import { CLAIM_KEY } from "./ownership";
import { readCache, serverOf, sharedReads } from "./readcache";

/**
 * During a refresh the Pulumi engine calls read and then diff on the same object straight away. The object read
 * by `read` is handed to that diff once, instead of being fetched a second time, if this process wrote nothing
 * since and it is at most this old: "straight away" can be many seconds when a refresh reads 1,000 objects at
 * once (`--parallel`) on a busy machine, and the diff only compares the state that read just wrote with it.
 */
const HANDOVER_MS = 60_000;

/** null when the object is gone. */
export async function readLive<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Promise<Found | null> {
  try {
    const res = await ctx.client.get<Live>(e.spec.path(state as I), e.reqOpts(ctx));
    return { live: res.value, etag: res.etag };
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

export async function mustRead<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Promise<Found> {
  const found = await readLive(e, ctx, state);
  if (!found) throw new IncusError(404, "the object disappeared", "GET", e.spec.path(state as I));
  return found;
}

/** The live object, when its path can be known before it exists (not for an image copied from a server). */
export async function readLiveIfAddressable<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Promise<Found | null> {
  return e.addressable(state) ? readLive(e, ctx, state) : null;
}

/**
 * The live object for a read that needs no ETag (diff, refresh): for listable kinds, possibly from one list that
 * answers many reads (engine/readcache.ts says when that is as fresh as a GET). null when the object is gone.
 */
export async function readForDiff<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Promise<Found | null> {
  return readThrough(readCache, e, ctx, state);
}

/**
 * The live object, read no earlier than this call: for listable kinds shared with the calls of the same collection
 * under way (readcache.ts `SharedReads`), so hundreds of deletes at once (their ownership check, takeover.ts
 * `stillOurs`) or creates (the object as made) send a list or a few rather than a GET each. No ETag: a write after
 * it reads the object again. null when the object is gone.
 */
export async function readShared<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Promise<Found | null> {
  return readThrough(sharedReads, e, ctx, state);
}

/** A read of the object through one of the list-backed caches (same signature: name, own GET, list, key field). */
async function readThrough<I extends CommonInputs>(
  cache: Pick<typeof readCache, "read"> | Pick<typeof sharedReads, "read">,
  e: EngineBase<I>,
  ctx: Context,
  state: State,
): Promise<Found | null> {
  // A list of a member's objects would be one list per member: a per-member object is read on its own.
  if (!e.spec.listable || ctx.target) return readLive(e, ctx, state);
  const { key, collection, listKey } = collectionOf(e, ctx, state);
  const live = await cache.read(
    key,
    String(state[listKey.input]),
    async () => (await readLive(e, ctx, state))?.live ?? null,
    () => ctx.client.list<Live>(collection, e.reqOpts(ctx)),
    listKey.api,
  );
  return live ? { live } : null;
}

/** The collection an object of a listable kind is listed in, and the key of that list in the caches. */
function collectionOf<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State) {
  const collection = e.spec.path(state as I).replace(/\/[^/]+$/, "");
  return { collection, key: JSON.stringify([serverOf(ctx.client), ctx.project, collection]), listKey: e.spec.listKey ?? { input: "name", api: "name" } };
}

/** What a refresh's read found, if it is fresh enough for this diff (once); undefined: read it. */
export function takeHandover<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, state: State): Found | null | undefined {
  const key = e.place(ctx, state);
  const entry = e.handover.get(key);
  e.handover.delete(key);
  return entry && Date.now() - entry.at <= HANDOVER_MS && entry.generation === readCache.writeGeneration ? entry.found : undefined;
}

/**
 * What the outputs need beyond the object itself (the kind's details hook, e.g. an instance's addresses). `identity`:
 * the fields naming the object (a load balancer's network, which its live object does not carry).
 */
export async function withDetails<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, live: Live, identity: Partial<I>): Promise<Live> {
  return e.spec.details ? e.spec.details(ctx, live, identity) : live;
}

// ---- objects Incus serves from another project --------------------------------------------------------------

export function redirectMessage<I extends CommonInputs>(e: EngineBase<I>, state: State, ctx: Context, what: string): string {
  const feature = e.spec.feature!;
  return (
    `project "${ctx.project}" has ${feature} turned off, so Incus ${what} the "default" project's ${e.spec.type.toLowerCase()} "${state.name}". ` +
    `Set \`project: "default"\` to manage it there, or turn ${feature} on in project "${ctx.project}"`
  );
}

/** The live object belongs to the default project although the program named another one (a feature is off). */
export function guardLive<I extends CommonInputs>(e: EngineBase<I>, state: State, ctx: Context, live: Live): void {
  if (!e.spec.feature || !ctx.project || ctx.project === "default") return;
  // A zone's own GET answers `project: ""` (6.0): only a named project tells where the object lives.
  if (typeof live.project === "string" && live.project !== "" && live.project !== ctx.project)
    e.fail(state, ctx, redirectMessage(e, state, ctx, "answers with"));
}

/**
 * Whether the program's project serves this kind from the default project (its feature is off). null: no such project
 * yet. Every check and create of a new object asks: the calls under way at once share one read of the project.
 */
export async function featureOff<I extends CommonInputs>(e: EngineBase<I>, ctx: Context): Promise<boolean | null> {
  if (!e.spec.feature || !ctx.project || ctx.project === "default") return false;
  const path = `/1.0/projects/${encodeURIComponent(ctx.project)}`;
  const project = await sharedReads.read(
    JSON.stringify([serverOf(ctx.client), path]),
    ctx.project,
    () =>
      ctx.client.get<Live>(path, { project: null }).then(
        (res) => res.value,
        (err) => {
          if (isNotFound(err)) return null;
          throw err;
        },
      ),
    async () => [], // never: every call of this key reads the same object
  );
  return project ? (project.config as State | undefined)?.[e.spec.feature] !== "true" : null;
}

// ---- read (refresh) -----------------------------------------------------------------------------------------

/** The object a resource records, as it is now; {} when it is gone. `props`: the stored outputs, without __provider. */
export async function read<I extends CommonInputs>(e: EngineBase<I>, id: string, props: State): Promise<{ id?: string; props?: State; inputs?: State }> {
  const ctx = e.context(props);
  const generation = readCache.writeGeneration; // a write while the read is under way makes it stale too
  const found = await readForDiff(e, ctx, props);
  e.handover.set(e.place(ctx, props), { found, at: Date.now(), generation });
  if (!found) return {};
  // Stored inputs with the managed fields set to what the server has now (refresh repairs stored inputs).
  const outputOnly = new Set([...(e.spec.outputKeys ?? []), LEARNT_KEY, CLAIM_KEY]);
  const kept = Object.fromEntries(Object.entries(props).filter(([k, v]) => !outputOnly.has(k) && v !== undefined && v !== null));
  const inputs = e.model.fromLive(kept, props, found.live);
  // Outputs only the stack knows (a generated key, an instance's command results) are carried over, as diff does;
  // those read from the object are read again.
  const carried = { ...e.carriedIdentity(props), ...inputs, [LEARNT_KEY]: props[LEARNT_KEY], ...e.claimOf(props) };
  return { id, props: defined(e.outputs(carried, await withDetails(e, ctx, found.live, carried as unknown as Partial<I>), ctx)), inputs: defined(inputs) };
}
