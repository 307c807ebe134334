// Waiting for one operation on the shared events stream: each operation event is parsed once and routed by its id to
// the watch waiting on it; events that come before a request's answer names its operation are kept until then.
import type { EventHub } from "./events";
import { type Operation, OperationSchema, operationFinished } from "./schemas";

/** How long an operation's events are kept for a request whose answer has not come yet. */
const KEEP_UNCLAIMED_MS = 60_000;

/** The hub's side: which watch waits on which operation. One per hub. */
export class OperationRoutes {
  readonly watches = new Set<OperationWatch>();
  private readonly byId = new Map<string, OperationWatch[]>();
  /** Watches whose request has not answered yet: any operation may be theirs. */
  private pending = 0;
  /** The latest state of operations no watch has claimed yet (the first final state sticks), oldest first. */
  private readonly unclaimed = new Map<string, { op: Operation; at: number }>();

  add(w: OperationWatch): void {
    this.watches.add(w);
    this.pending++;
  }

  /** The watch's request answered with operation `id`: what came before is handed over, the rest is routed. */
  route(w: OperationWatch, id: string): void {
    this.pending--;
    const list = this.byId.get(id);
    if (list) list.push(w);
    else this.byId.set(id, [w]);
    const kept = this.unclaimed.get(id);
    if (kept) w.update(kept.op);
    this.settle();
  }

  remove(w: OperationWatch, id: string | undefined): void {
    if (!this.watches.delete(w)) return;
    if (id === undefined) this.pending--;
    else {
      const list = this.byId.get(id)?.filter((x) => x !== w) ?? [];
      if (list.length) this.byId.set(id, list);
      else this.byId.delete(id);
    }
    this.settle();
  }

  /** Once no request is unanswered, nothing kept can be claimed any more. */
  private settle(): void {
    if (this.pending === 0) this.unclaimed.clear();
  }

  dispatch(metadata: unknown): void {
    if (this.watches.size === 0) return;
    const parsed = OperationSchema.safeParse(metadata);
    if (!parsed.success) return;
    const op = parsed.data;
    const list = this.byId.get(op.id);
    if (list) {
      for (const w of list) w.update(op);
      return;
    }
    if (this.pending === 0) return;
    const now = Date.now();
    const kept = this.unclaimed.get(op.id);
    if (kept && operationFinished(kept.op)) return;
    this.unclaimed.delete(op.id);
    this.unclaimed.set(op.id, { op, at: now });
    for (const [id, k] of this.unclaimed) {
      if (now - k.at < KEEP_UNCLAIMED_MS) break;
      this.unclaimed.delete(id);
    }
  }

  dropped(): void {
    for (const w of [...this.watches]) w.dropped();
  }
}

/**
 * Watches operation events from before a request is sent until its operation ends, so an operation that finishes
 * quickly is not missed (the server keeps a finished operation for only 5 s). Its events before the request's answer
 * names the operation are kept by the hub (OperationRoutes) until then.
 */
export class OperationWatch {
  private id?: string;
  private final?: Operation;
  private lost = false;
  /** The stream dropped at some point of this wait (the daemon may have restarted meanwhile). */
  private droppedOnce = false;
  private wake?: () => void;
  private onProgress?: (metadata: Record<string, unknown>) => void;
  /** The latest state seen, for may_cancel. */
  latest?: Operation;

  constructor(private readonly hub: EventHub) {
    hub.addWatch(this);
  }

  /** From the hub: an event of this watch's operation. */
  update(op: Operation): void {
    // Events for one operation can arrive out of order (the server sends each from its own goroutine): the first
    // final state wins.
    if (this.final) return;
    this.latest = op;
    if (op.metadata && this.onProgress) this.onProgress(op.metadata);
    if (operationFinished(op)) {
      this.final = op;
      this.wake?.();
    }
  }

  /** From the hub: the connection dropped (events until it is back are lost). */
  dropped(): void {
    this.lost = true;
    this.droppedOnce = true;
    this.wake?.();
  }

  /** The final state when an event brought it (an answer that came while a read was on its way), else undefined. */
  get finalSeen(): Operation | undefined {
    return this.final;
  }

  /**
   * Resolves with the operation's final state, or undefined when the stream dropped, `signal` aborted or
   * `checkEveryMs` passed with no final event (the caller then asks the server directly).
   */
  next(id: string, onProgress: WaitProgress | undefined, checkEveryMs: number, signal?: AbortSignal): Promise<Operation | undefined> {
    if (this.id === undefined) {
      this.id = id;
      this.onProgress = onProgress;
      this.hub.routes.route(this, id);
    }
    if (this.final || this.lost || signal?.aborted) return Promise.resolve(this.final);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), checkEveryMs);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.wake = undefined;
        resolve(this.final);
      };
      signal?.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }

  /** True when the stream held from before the request until now: the daemon did not restart meanwhile. */
  get heldThroughout(): boolean {
    return !this.droppedOnce;
  }

  get streamLost(): boolean {
    return this.lost;
  }

  /** Back on events after a drop, once the hub has reconnected (the caller reads the operation once for the gap). */
  resume(): boolean {
    if (!this.lost || !this.hub.connected) return false;
    this.lost = false;
    return true;
  }

  close(): void {
    this.wake?.();
    this.hub.removeWatch(this, this.id);
  }
}

export type WaitProgress = (metadata: Record<string, unknown>) => void;
