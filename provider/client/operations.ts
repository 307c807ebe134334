// Waiting for Incus's async operations: on the shared events stream when it is up, by polling /wait when it is not.
// A failed operation becomes an IncusError that names the request that started it; an abort cancels it on the server.
import type { Endpoint } from "./endpoint";
import { IncusError } from "./errors";
import { hubFor } from "./events";
import { OperationWatch } from "./opwatch";
import type { Requester, RequestOptions } from "./request";
import { type Operation, OperationSchema, operationFinished } from "./schemas";

export interface WaitOptions {
  /** Give up after this long (the operation keeps running on the server). */
  timeoutMs?: number;
  /** Aborting cancels the operation on the server when it can be cancelled, then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the operation's metadata (e.g. `progress`) whenever it changes. */
  onProgress?: (metadata: Record<string, unknown>) => void;
}

export interface WriteOptions extends RequestOptions, WaitOptions {}

/**
 * While waiting on a live events stream, ask the server after 4 s (less than the 5 s a finished operation stays
 * visible), then less and less often: the stream brings the end, and a read that comes too late is settled by the
 * caller. Asking every 4 s made 300 container creates send ~3,400 reads to a daemon busy making them.
 */
const SAFETY_CHECK_MS = 4_000;
const SAFETY_CHECK_MAX_MS = 30_000;
const WAIT_SLICE_S = 5;

/** The request that started an operation, for its error message. */
export interface OperationRequest {
  method: string;
  path: string;
}

export function opId(idOrUrl: string): string {
  return idOrUrl.replace(/^\/1\.0\/operations\//, "");
}

/** GET /1.0/operations/{id}. */
export async function getOperation(requester: Requester, id: string, signal?: AbortSignal): Promise<Operation> {
  const res = await requester.request("GET", `/1.0/operations/${opId(id)}`, { project: null, signal, operationWait: true });
  return OperationSchema.parse(res.value);
}

/** A watch on the endpoint's events stream, or undefined when events are off or the stream cannot be opened. */
export async function openWatch(endpoint: Endpoint, useEvents: boolean): Promise<OperationWatch | undefined> {
  if (!useEvents) return undefined;
  const hub = hubFor(endpoint);
  const watch = new OperationWatch(hub);
  try {
    await hub.ready();
    return watch;
  } catch {
    watch.close();
    return undefined;
  }
}

/**
 * Waits for operation `id` (already read as `initial` when the request that started it answered): on `watch` while
 * its stream holds (back on it once a dropped stream reconnects), else by /wait. An operation the server no longer
 * has (it keeps a finished one ~5 s, and a loaded client can ask later) fails as `operationGone`, unless its end came
 * on the stream meanwhile: the caller then settles the outcome from the object itself.
 */
export async function awaitOperation(
  requester: Requester,
  id: string,
  initial: Operation | undefined,
  opts: WaitOptions,
  watch: OperationWatch | undefined,
  request?: OperationRequest,
): Promise<Operation> {
  const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
  let latest = initial;
  // What the server says, unless the stream brought the end while the question was on its way.
  const ask = async (wait: boolean) => {
    try {
      return wait ? await waitSlice(requester, id, deadline, opts) : await getOperation(requester, id, opts.signal);
    } catch (err) {
      const seen = watch?.finalSeen;
      if (seen) return seen;
      if (err instanceof IncusError && err.isNotFound) throw gone(id, request, !watch?.heldThroughout);
      throw err;
    }
  };
  let checkMs = SAFETY_CHECK_MS;
  try {
    if (watch) latest ??= await ask(false);
    for (;;) {
      if (latest && operationFinished(latest)) return finished(latest, request);
      checkDeadline(id, deadline, opts);
      if (watch && !watch.streamLost) {
        const left = Math.max(1, Math.min(checkMs, deadline - Date.now()));
        checkMs = Math.min(checkMs * 2, SAFETY_CHECK_MAX_MS);
        const seen = await watch.next(id, opts.onProgress, left, opts.signal);
        checkDeadline(id, deadline, opts);
        // No final event for a while (or a lost one): ask the server, which keeps finished operations 5 s.
        latest = seen ?? (watch.streamLost ? latest : await ask(false));
      } else {
        latest = await ask(true);
        if (latest.metadata && opts.onProgress) opts.onProgress(latest.metadata);
        // The stream is back: events again (this answer covered the gap).
        watch?.resume();
      }
    }
  } catch (err) {
    if (opts.signal?.aborted) await cancelOperation(requester, id, watch?.latest ?? latest);
    // Incus accepted the request; unless the operation itself said it failed, its outcome is not known.
    if (err instanceof IncusError && !err.operationFailed) err.accepted = true;
    throw err;
  }
}

/**
 * One /wait of at most 5 s, so timeouts and aborts are honoured; /wait answers HTTP 200 even for failures (the
 * operation's status code says how it ended). It holds its connection for the slice: it goes on the endpoint's
 * pool for waits (transport.ts), so hundreds of them never hold every connection.
 */
async function waitSlice(requester: Requester, id: string, deadline: number, opts: WaitOptions): Promise<Operation> {
  const slice = Math.max(1, Math.min(WAIT_SLICE_S, Math.ceil((deadline - Date.now()) / 1000)));
  try {
    const res = await requester.request("GET", `/1.0/operations/${id}/wait`, {
      project: null,
      query: { timeout: slice },
      signal: opts.signal,
      operationWait: true,
    });
    return OperationSchema.parse(res.value);
  } catch (err) {
    // An error envelope from /wait means "failed" or "still running": the operation itself says which.
    if (!(err instanceof IncusError) || err.isNotFound) throw err;
    return getOperation(requester, id, opts.signal);
  }
}

/**
 * The operation is gone before its end was read: accepted, outcome not known from the operation. Only when the events
 * stream held from before the request (`restartPossible` false) is it certain the daemon did not restart meanwhile,
 * i.e. that the operation ended and expired instead of dying half-way with the daemon.
 */
function gone(id: string, request: OperationRequest | undefined, restartPossible: boolean): IncusError {
  const { method, path } = request ?? { method: "GET", path: `/1.0/operations/${id}` };
  const err = new IncusError(404, `its operation ${id} ended before its outcome could be read (Incus keeps a finished operation about 5 s)`, method, path);
  err.accepted = true;
  err.operationGone = true;
  err.restartPossible = restartPossible;
  return err;
}

function checkDeadline(id: string, deadline: number, opts: WaitOptions): void {
  if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
  if (Date.now() >= deadline) {
    throw new IncusError(408, `operation ${id} did not finish within ${opts.timeoutMs} ms`, "GET", `/1.0/operations/${id}`);
  }
}

/** Best effort: the caller is already failing with the abort reason. */
async function cancelOperation(requester: Requester, id: string, op: Operation | undefined): Promise<void> {
  if (op?.may_cancel === false) return;
  try {
    await requester.request("DELETE", `/1.0/operations/${id}`, { project: null });
  } catch {
    // not cancellable, or already finished
  }
}

/** A failed operation becomes an IncusError that names the request that started it, when known. */
function finished(op: Operation, request?: OperationRequest): Operation {
  if (op.status_code === 200) return op;
  const { method, path } = request ?? { method: "OPERATION", path: `/1.0/operations/${op.id}` };
  const err = new IncusError(op.status_code, op.err || op.status, method, `${path} (${op.description})`, undefined, undefined, op.id);
  err.operationFailed = true;
  throw err;
}
