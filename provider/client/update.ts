// The guarded read-modify-write behind IncusClient.update: If-Match on every PUT, read again and rebuild on 412, and
// for endpoints whose PUT ignores If-Match a comparison just before writing.
import { isDeepStrictEqual } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { IncusError, isPreconditionFailed } from "./errors";
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
  for (let attempt = 1; ; attempt++) {
    // A caller that has just read the object (with its ETag) saves the first GET.
    const live = attempt === 1 && opts.current ? opts.current : await client.get<T>(path, opts);
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
