// The one way the provider talks to Incus: HTTP over the unix socket or HTTPS, every envelope parsed, one error
// type, ETag-guarded writes, lists and filters, streamed uploads and downloads, operation waiting and events.
// No Pulumi dependency. IncusClient is the face; the work is done in request.ts (one request), operations.ts
// (waiting for async operations), update.ts (guarded read-modify-write) and list.ts (lists and filters).
import * as fs from "node:fs";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { type Endpoint, resolveUnixEndpoint } from "./endpoint";
import { closeHubs, type EventType, hubFor, type IncusEvent } from "./events";
import { type ListOptions, listRequest } from "./list";
import { awaitOperation, getOperation, opId, openWatch, type WaitOptions, type WriteOptions } from "./operations";
import { type Download, Requester, type RequestOptions, type SyncResult } from "./request";
import { type Operation, ServerSchema, type Server } from "./schemas";
import { closePools } from "./transport";
import { guardedUpdate, type UpdateOptions } from "./update";

export interface ClientOptions {
  /** Wait for operations on the events websocket (default); false: poll /1.0/operations/{id}/wait only. */
  events?: boolean;
  /**
   * While a daemon that answered before cannot be reached (socket missing, connection refused: a restart), keep
   * trying a request that was certainly not sent (any GET) for this long before failing. Default 0 (fail at once).
   */
  reconnectTimeoutMs?: number;
  /** How long one request may wait for the answer's headers (a hung daemon). Default 120 s. */
  requestTimeoutMs?: number;
  /** Longest wait for any operation; wins over a caller's own timeout. Default: the caller's, else no limit. */
  operationTimeoutMs?: number;
}

/** A body to upload: a stream, bytes, or a file path (streamed from disk, never read whole). */
export type UploadSource = Readable | Buffer | Uint8Array | string;

export interface UploadOptions extends WriteOptions {
  /** Default POST. */
  method?: "POST" | "PUT";
}

export interface SubscribeOptions {
  /** Default: both. */
  types?: EventType[];
  /** Only this project's events (and events that belong to no project); default: the endpoint's default project. */
  project?: string;
  /** Every project's events. */
  allProjects?: boolean;
}

/** Call it to unsubscribe; `ready` resolves once events flow (rejects if the stream cannot be opened at first). */
export type Subscription = (() => void) & { ready: Promise<void> };

/** Closes every pooled connection and events stream, so a short-lived process can exit at once. */
export async function closeAllPools(): Promise<void> {
  closeHubs();
  await closePools();
}

export class IncusClient {
  readonly endpoint: Endpoint;
  private readonly requester: Requester;
  private readonly useEvents: boolean;
  private readonly operationTimeoutMs?: number;

  constructor(endpoint?: Endpoint, options: ClientOptions = {}) {
    this.endpoint = endpoint ?? resolveUnixEndpoint();
    this.requester = new Requester(this.endpoint, options.reconnectTimeoutMs ?? 0, options.requestTimeoutMs ?? 120_000);
    this.useEvents = options.events ?? true;
    this.operationTimeoutMs = options.operationTimeoutMs;
  }

  get defaultProject(): string {
    return this.endpoint.defaultProject;
  }

  /** Sends one request and returns the raw undici response (for non-envelope bodies; see also download). */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    return this.requester.raw(method, path, opts);
  }

  /**
   * One request, envelope parsed. Error envelopes (whatever the HTTP status, see /wait) throw IncusError.
   * Returns the sync metadata, or the operation for async answers (not waited for).
   */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<SyncResult<T> & { operation?: Operation }> {
    return this.requester.request<T>(method, path, opts);
  }

  /** GET of one object, with its ETag. */
  async get<T>(path: string, opts: RequestOptions = {}): Promise<SyncResult<T>> {
    return this.request<T>("GET", path, opts);
  }

  /**
   * GET of a collection as full objects (`?recursion=1`), optionally filtered (`?filter=`) or across projects.
   * Collections carry no ETags: read one object with get() before writing it.
   */
  async list<T>(path: string, opts: ListOptions = {}): Promise<T[]> {
    const res = await this.get<T[] | null>(path, listRequest(opts));
    return res.value ?? [];
  }

  /** A request that may be async: waits for the operation and throws its error text when it fails. */
  async write<T = unknown>(method: string, path: string, opts: WriteOptions = {}): Promise<SyncResult<T> & { operation?: Operation }> {
    // Listen before sending: an operation can finish, and vanish 5 s later, before its 202 is even read.
    const watch = await openWatch(this.endpoint, this.useEvents);
    try {
      const res = await this.request<T>(method, path, opts);
      if (!res.operation) return res;
      // A timeout the user set for the whole provider wins over the caller's built-in one.
      const timeoutMs = this.operationTimeoutMs ?? opts.timeoutMs;
      const op = await awaitOperation(this.requester, res.operation.id, res.operation, { ...opts, timeoutMs }, watch, { method, path });
      return { ...res, operation: op };
    } finally {
      watch?.close();
    }
  }

  post<T = unknown>(path: string, body: unknown, opts: WriteOptions = {}) {
    return this.write<T>("POST", path, { ...opts, body });
  }

  put<T = unknown>(path: string, body: unknown, opts: WriteOptions = {}) {
    return this.write<T>("PUT", path, { ...opts, body });
  }

  delete(path: string, opts: WriteOptions = {}) {
    return this.write("DELETE", path, opts);
  }

  /**
   * Streams a body to Incus as application/octet-stream (image tarballs, file push) and waits for the operation
   * when the answer is async. Headers such as X-Incus-mode or X-Incus-fingerprint go in `opts.headers`.
   */
  async upload<T = unknown>(path: string, source: UploadSource, opts: UploadOptions = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    let body: Readable | Uint8Array;
    if (typeof source === "string") {
      const { size } = await fs.promises.stat(source);
      headers["content-length"] = String(size);
      body = fs.createReadStream(source);
    } else {
      body = source;
    }
    try {
      return await this.write<T>(opts.method ?? "POST", path, { ...opts, headers, body });
    } finally {
      if (body instanceof Readable && !body.readableEnded) body.destroy();
    }
  }

  /**
   * Streams a raw body from Incus (file pull, image export). Error answers throw IncusError. A directory answers
   * with a JSON listing and `x-incus-type: directory`.
   */
  async download(path: string, opts: RequestOptions = {}): Promise<Download> {
    return this.requester.download(path, opts);
  }

  /**
   * Read-modify-write guarded by If-Match. `build` gets the live object and returns (or resolves to) the PUT body,
   * or undefined for "nothing to write". On 412 someone else wrote in between: read again and rebuild, so their
   * change to fields we do not set is kept.
   *
   * `compareBeforeWrite` is for endpoints whose PUT ignores If-Match (a network forward, a bucket in 6.0): the object
   * is read again just before the PUT and, when it differs from the read the body was built from, treated as a 412.
   * That leaves only the moment between that read and the PUT unguarded, instead of the whole read-build-write.
   */
  async update<T>(path: string, build: (live: T) => unknown, opts: UpdateOptions<T> = {}): Promise<{ written: boolean; attempts: number }> {
    return guardedUpdate(this, path, build, opts);
  }

  /** GET /1.0: the server's identity and version. */
  async server(): Promise<Server> {
    return ServerSchema.parse((await this.get("/1.0", { project: null })).value);
  }

  /**
   * Lifecycle and operation events, delivered to `handler` until the returned function is called. Shares the
   * endpoint's one events connection, which reconnects when it drops (events during the gap are lost).
   */
  subscribe(opts: SubscribeOptions, handler: (event: IncusEvent) => void): Subscription {
    const hub = hubFor(this.endpoint);
    const types = new Set<string>(opts.types ?? ["operation", "lifecycle"]);
    const project = opts.allProjects ? undefined : (opts.project ?? this.defaultProject);
    const remove = hub.add((event) => {
      if (!types.has(event.type)) return;
      if (project !== undefined && event.project !== undefined && event.project !== project) return;
      handler(event);
    });
    const ready = hub.ready();
    ready.catch(() => undefined); // the caller may never look at it; the hub retries on its own
    return Object.assign(remove, { ready });
  }

  /** GET /1.0/operations/{id}. */
  async getOperation(id: string, signal?: AbortSignal): Promise<Operation> {
    return getOperation(this.requester, id, signal);
  }

  /**
   * Waits for an async operation to finish; throws IncusError with Incus's text when it fails, a 408 IncusError
   * on timeout, the signal's reason on abort (after cancelling the operation if it can be). Listens on the events
   * stream, reading the operation once after subscribing (it may have finished already); falls back to
   * /1.0/operations/{id}/wait when the stream is unavailable or drops.
   */
  async waitOperation(id: string, opts: WaitOptions = {}): Promise<Operation> {
    const watch = await openWatch(this.endpoint, this.useEvents);
    try {
      return await awaitOperation(this.requester, opId(id), undefined, opts, watch);
    } finally {
      watch?.close();
    }
  }
}
