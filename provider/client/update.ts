// The guarded read-modify-write behind IncusClient.update: If-Match on every PUT, read again and rebuild on 412, and
// for endpoints whose PUT ignores If-Match a comparison just before writing.
import { isDeepStrictEqual } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { IncusError, isPreconditionFailed, operationGone } from "./errors";
import type { WriteOptions } from "./operations";
import type { SyncResult } from "./request";

export interface UpdateOptions<T> extends WriteOptions {
  /** How many 412s to read again after before giving up. Default 8. */
  retries?: number;
  /** The object as the caller has just read it (with its ETag): saves the first GET. */
  current?: { value: T; etag?: string };
  /** Read again just before the PUT and treat a difference as a 412 (for PUTs that ignore If-Match). */
  compareBeforeWrite?: boolean;
}

/** What update needs of the client. */
interface ReadWrite {
  get<T>(path: string, opts: WriteOptions): Promise<SyncResult<T>>;
  put(path: string, body: unknown, opts: WriteOptions): Promise<unknown>;
}

/** Pause before attempt `attempt` (1-based) of a retry: grows, capped, with full jitter so writers spread out. */
function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));
}

/** See IncusClient.update. */
export async function guardedUpdate<T>(
  client: ReadWrite,
  path: string,
  build: (live: T) => unknown,
  opts: UpdateOptions<T>,
): Promise<{ written: boolean; attempts: number }> {
  const retries = opts.retries ?? 8;
  // The object as read after a write whose operation was gone and found not applied: the resend's starting point.
  let reread: SyncResult<T> | undefined;
  let resent = false;
  for (let attempt = 1; ; attempt++) {
    // A caller that has just read the object (with its ETag) saves the first GET.
    const live = reread ?? (attempt === 1 && opts.current ? opts.current : await client.get<T>(path, opts));
    reread = undefined;
    const body = await build(live.value);
    if (body === undefined) return { written: false, attempts: attempt };
    try {
      if (opts.compareBeforeWrite) {
        const now = await client.get<T>(path, opts);
        if (!isDeepStrictEqual(now.value, live.value)) {
          throw new IncusError(412, "the object changed since it was read (compared before writing)", "PUT", path);
        }
      }
      await client.put(path, body, { ...opts, etag: live.etag });
      return { written: true, attempts: attempt };
    } catch (err) {
      if (operationGone(err)) {
        // Accepted, and its operation ended unseen: the object says what became of it (the kind's build compares).
        const now = await client.get<T>(path, opts).catch(() => Promise.reject(err));
        const rebuilt = await build(now.value);
        if (rebuilt === undefined) return { written: true, attempts: attempt };
        // The same body again: nothing of what it asked for (or of anything else it would send) changed, so it was
        // not applied (its operation failed and took the reason along). Sent once more, guarded by the new ETag.
        if (!resent && isDeepStrictEqual(rebuilt, body) && (!now.etag || !live.etag || now.etag === live.etag)) {
          resent = true;
          reread = now;
          continue;
        }
        throw unsettledWrite(err, resent);
      }
      if (!isPreconditionFailed(err)) throw err;
      if (attempt > retries) {
        const e = err as IncusError;
        throw new IncusError(
          412,
          `gave up after ${attempt} attempts: the object changed between every read and write (someone else keeps ` +
            `writing it), so nothing was written; last answer: ${e.incusMessage}`,
          e.method,
          e.path,
          "Run again when the other writer is done",
        );
      }
      // Several writers retrying in step would collide again: wait a random, growing while first.
      await sleep(backoffMs(attempt, 50, 1000));
    }
  }
}

/**
 * Sends a write that Incus may run as an operation (a rename, a move) and, when Incus accepted it and its operation was
 * gone before its end was read, settles it from the object: `applied` reads it and says true (it happened), false
 * (it did not: it is sent once more) or undefined (cannot be told: it fails saying what to do).
 */
export async function settledWrite(send: () => Promise<unknown>, applied: () => Promise<boolean | undefined>): Promise<void> {
  for (let resent = false; ; resent = true) {
    try {
      await send();
      return;
    } catch (err) {
      if (!operationGone(err)) throw err;
      const now = await applied().catch(() => Promise.reject(err));
      if (now === true) return;
      if (now === false && !resent) continue;
      throw unsettledWrite(err, now === false);
    }
  }
}

/**
 * A write whose operation was gone and whose object does not have what it asked for: sent twice with nothing to show
 * (`sentTwice`), or changed otherwise. Says so and what to do.
 */
function unsettledWrite(err: unknown, sentTwice: boolean): IncusError {
  const e = err as IncusError;
  const what = sentTwice ? "sent again, and the object still does not have what it asks for" : "the object now has neither what it had nor what was asked";
  const out = new IncusError(
    e.status,
    `${e.incusMessage}; ${what} (its operation most likely failed, or another writer changed the object meanwhile)`,
    e.method,
    e.path,
    "Run `pulumi refresh` to see what the object has, check the program's values, then run `pulumi up` again",
  );
  out.accepted = true;
  return out;
}
