// The one way the provider talks to Incus: HTTP over the unix socket or HTTPS, every envelope parsed, one error
// type, ETag-guarded writes, lists and filters, streamed uploads and downloads, operation waiting and events.
// No Pulumi dependency.
import * as fs from "node:fs";
import { Readable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import { type Dispatcher, FormData } from "undici";
import { describeEndpoint, type Endpoint, resolveUnixEndpoint } from "./endpoint";
import { IncusError, isPreconditionFailed, TLS_VERIFY_CODES } from "./errors";
import { closeHubs, type EventType, hubFor, type IncusEvent, OperationWatch } from "./events";
import { logRequest } from "./requestlog";
import { EnvelopeSchema, type Operation, OperationSchema, operationFinished, ServerSchema, type Server } from "./schemas";
import { closePools, poolFor } from "./transport";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  /** Project scope (`?project=`); the endpoint's default project when omitted; `null` for global kinds. */
  project?: string | null;
  query?: Query;
  /** JSON body (sent as application/json) or raw bytes/stream (sent as application/octet-stream). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as If-Match. */
  etag?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up after this long (the operation keeps running on the server). */
  timeoutMs?: number;
  /** Aborting cancels the operation on the server when it can be cancelled, then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called with the operation's metadata (e.g. `progress`) whenever it changes. */
  onProgress?: (metadata: Record<string, unknown>) => void;
}

export interface SyncResult<T> {
  value: T;
  etag?: string;
  location?: string;
  status: number;
}

export interface WriteOptions extends RequestOptions, WaitOptions {}

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

/** Field → value, all of which must match: `{ name: "c1", "config.user.role": "web" }`. */
export type FilterFields = Record<string, string | number | boolean>;

export interface ListOptions extends RequestOptions {
  /** An Incus filter expression (`name eq c1 and status eq running`), or fields that must equal the given values. */
  filter?: string | FilterFields;
  /** Every project (`?all-projects=true`); `project` is then ignored. */
  allProjects?: boolean;
  /** Default 1 (full objects); 2 adds instance state, snapshots and backups. */
  recursion?: number;
}

/** A body to upload: a stream, bytes, or a file path (streamed from disk, never read whole). */
export type UploadSource = Readable | Buffer | Uint8Array | string;

export interface UploadOptions extends WriteOptions {
  /** Default POST. */
  method?: "POST" | "PUT";
}

export interface Download {
  /** The body, streamed; consume or destroy it. */
  stream: Readable;
  /** Response headers, lower-case (e.g. x-incus-type, x-incus-mode). */
  headers: Record<string, string>;
  /** Content-Length when the server sent one. */
  size?: number;
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

/** While waiting on events, ask the server this often (less than the 5 s a finished operation stays visible). */
const SAFETY_CHECK_MS = 4_000;
const WAIT_SLICE_S = 5;

/** Closes every pooled connection and events stream, so a short-lived process can exit at once. */
export async function closeAllPools(): Promise<void> {
  closeHubs();
  await closePools();
}

function isRawBody(body: unknown): body is Buffer | Uint8Array | Readable {
  return body instanceof Uint8Array || body instanceof Readable;
}

/** A string Go's regexp takes literally; the server matches string fields as case-insensitive regexps. */
function literalPattern(value: string): string {
  if (value.includes('"') && /\s/.test(value)) throw new Error(`filter value ${JSON.stringify(value)} cannot be expressed`);
  const escaped = value.replace(/[.*+?()[\]{}|\\^$]/g, "\\$&");
  // Our own anchors switch off the server's, and (?-i:) its case folding: exact equality.
  const pattern = `^(?-i:${escaped})$`;
  return /\s/.test(value) ? `"${pattern}"` : pattern;
}

/** Builds an Incus filter expression in which every field must equal its value exactly. */
export function filterExpression(fields: FilterFields): string {
  return Object.entries(fields)
    .map(([field, value]) => `${field} eq ${typeof value === "string" ? literalPattern(value) : String(value)}`)
    .join(" and ");
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request that started an operation, for its error message. */
interface OperationRequest {
  method: string;
  path: string;
}

function opId(idOrUrl: string): string {
  return idOrUrl.replace(/^\/1\.0\/operations\//, "");
}

/** Pause before attempt `attempt` (1-based) of a retry: grows, capped, with full jitter so writers spread out. */
function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class IncusClient {
  readonly endpoint: Endpoint;
  private readonly useEvents: boolean;
  private readonly reconnectTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly operationTimeoutMs?: number;
  /** The daemon has answered this client at least once. */
  private answered = false;

  constructor(endpoint?: Endpoint, options: ClientOptions = {}) {
    this.endpoint = endpoint ?? resolveUnixEndpoint();
    this.useEvents = options.events ?? true;
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? 0;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
    this.operationTimeoutMs = options.operationTimeoutMs;
  }

  get defaultProject(): string {
    return this.endpoint.defaultProject;
  }

  private url(path: string, opts: RequestOptions): string {
    const project = opts.project === undefined ? this.endpoint.defaultProject : opts.project;
    const scoped = project !== null && project !== "default";
    if (!scoped && !opts.query && !path.includes("?")) return path;
    const [base, existing] = path.split("?", 2);
    const params = new URLSearchParams(existing);
    if (scoped && !params.has("project")) params.set("project", project);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return qs ? `${base}?${qs}` : base;
  }

  private unreachable(err: Error & { code?: string }, method: string, url: string): IncusError {
    const e = this.endpoint;
    let hint: string | undefined;
    if (e.kind === "unix" && (err.code === "ENOENT" || err.code === "ECONNREFUSED")) {
      hint = "The Incus daemon does not appear to be running there (INCUS_SOCKET or INCUS_DIR choose another socket)";
    } else if (e.kind === "https" && err.code && TLS_VERIFY_CODES.has(err.code)) {
      hint = e.serverCert
        ? "The server's TLS certificate is not the pinned one; if it changed on purpose, pin the new one"
        : e.ca
          ? "The server's TLS certificate does not verify against the configured CA"
          : "The server's TLS certificate is not trusted; pin it (servercerts/<remote>.crt, serverCert), e.g. by `incus remote add`";
    }
    if (err.code === "UND_ERR_HEADERS_TIMEOUT") hint = `Incus did not answer within ${this.requestTimeoutMs / 1000} s`;
    return new IncusError(
      0,
      `cannot reach Incus at ${describeEndpoint(e)}: ${err.message}`,
      method,
      url,
      hint,
      err.code ?? (err.cause as { code?: string } | undefined)?.code,
    );
  }

  private fail(status: number, message: string, method: string, url: string): IncusError {
    const hint =
      status === 403 && this.endpoint.kind === "https" && /not authorized/i.test(message)
        ? "This client's certificate is not trusted by the server: trust it with `incus remote add <name> <token>` " +
          "(token from `incus config trust add`) or `incus config trust add-certificate`"
        : undefined;
    return new IncusError(status, message, method, url, hint);
  }

  private async send(method: string, path: string, opts: RequestOptions): Promise<{ res: Dispatcher.ResponseData; url: string }> {
    const url = this.url(path, opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    let body: string | Buffer | Uint8Array | Readable | FormData | undefined;
    if (opts.body !== undefined) {
      if (opts.body instanceof FormData) {
        // multipart/form-data (split images): undici streams the parts and sets the boundary header itself. It
        // must be undici's own FormData; undici refuses Node's built-in one.
        body = opts.body;
      } else if (isRawBody(opts.body)) {
        body = opts.body;
        headers["content-type"] ??= "application/octet-stream";
      } else {
        body = JSON.stringify(opts.body);
        headers["content-type"] = "application/json";
      }
    }
    if (opts.etag) headers["if-match"] = opts.etag;
    // A body that is a stream can be sent once only; every other request can be tried again while the daemon is
    // away, since a request that never connected had no effect.
    const resendable = !(body instanceof Readable) && !(body instanceof FormData);
    const giveUpAt = Date.now() + this.reconnectTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      logRequest(method, url);
      try {
        const res = await poolFor(this.endpoint).request({
          method: method as Dispatcher.HttpMethod,
          path: url,
          headers,
          body,
          signal: opts.signal,
          headersTimeout: this.requestTimeoutMs,
        });
        this.answered = true;
        return { res, url };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const e = this.unreachable(err as Error, method, url);
        // A GET may be tried again whatever happened to it (a pooled connection the restarting daemon closed); a
        // write only when it certainly never left. A daemon that hangs is not waited for twice.
        // Only a daemon that answered before is waited for (it went away and is coming back); one that never answered
        // in this process gets the error at once.
        const again = this.answered && (e.notSent || (method === "GET" && e.networkCode !== "UND_ERR_HEADERS_TIMEOUT"));
        if (!again || !resendable || Date.now() >= giveUpAt) throw e;
        await sleep(Math.min(1000, 100 * attempt));
      }
    }
  }

  /** Sends one request and returns the raw undici response (for non-envelope bodies; see also download). */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    return (await this.send(method, path, opts)).res;
  }

  /**
   * One request, envelope parsed. Error envelopes (whatever the HTTP status, see /wait) throw IncusError.
   * Returns the sync metadata, or the operation for async answers (not waited for).
   */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<SyncResult<T> & { operation?: Operation }> {
    const { res, url } = await this.send(method, path, opts);
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw this.fail(res.statusCode, `unexpected non-JSON answer: ${text.slice(0, 200)}`, method, url);
    }
    const env = EnvelopeSchema.safeParse(parsed);
    if (!env.success) throw this.fail(res.statusCode, `unexpected answer: ${text.slice(0, 200)}`, method, url);
    const etag = header(res.headers, "etag");
    const location = header(res.headers, "location");
    switch (env.data.type) {
      case "error":
        throw this.fail(env.data.error_code || res.statusCode, env.data.error, method, url);
      case "async":
        return { value: env.data.metadata as T, operation: env.data.metadata, etag, location, status: res.statusCode };
      case "sync":
        return { value: env.data.metadata as T, etag, location, status: res.statusCode };
    }
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
    const { filter, allProjects, recursion, ...rest } = opts;
    const query: Query = {
      ...rest.query,
      recursion: recursion ?? 1,
      filter: filter === undefined || typeof filter === "string" ? filter : filterExpression(filter),
      "all-projects": allProjects ? true : undefined,
    };
    const res = await this.get<T[] | null>(path, { ...rest, query, project: allProjects ? null : rest.project });
    return res.value ?? [];
  }

  /** A request that may be async: waits for the operation and throws its error text when it fails. */
  async write<T = unknown>(method: string, path: string, opts: WriteOptions = {}): Promise<SyncResult<T> & { operation?: Operation }> {
    // Listen before sending: an operation can finish, and vanish 5 s later, before its 202 is even read.
    const watch = await this.openWatch();
    try {
      const res = await this.request<T>(method, path, opts);
      if (!res.operation) return res;
      // A timeout the user set for the whole provider wins over the caller's built-in one.
      const timeoutMs = this.operationTimeoutMs ?? opts.timeoutMs;
      const op = await this.awaitOperation(res.operation.id, res.operation, { ...opts, timeoutMs }, watch, { method, path });
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
    const { res, url } = await this.send("GET", path, opts);
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      let message = text.slice(0, 200);
      try {
        const env = EnvelopeSchema.safeParse(JSON.parse(text));
        if (env.success && env.data.type === "error") message = env.data.error;
      } catch {
        // not an envelope: keep the text
      }
      throw this.fail(res.statusCode, message, "GET", url);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const length = headers["content-length"];
    return { stream: res.body, headers, size: length === undefined ? undefined : Number(length) };
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
  async update<T>(
    path: string,
    build: (live: T) => unknown,
    opts: WriteOptions & { retries?: number; current?: { value: T; etag?: string }; compareBeforeWrite?: boolean } = {},
  ): Promise<{ written: boolean; attempts: number }> {
    const retries = opts.retries ?? 8;
    for (let attempt = 1; ; attempt++) {
      // A caller that has just read the object (with its ETag) saves the first GET.
      const live = attempt === 1 && opts.current ? opts.current : await this.get<T>(path, opts);
      const body = await build(live.value);
      if (body === undefined) return { written: false, attempts: attempt };
      try {
        if (opts.compareBeforeWrite) {
          const now = await this.get<T>(path, opts);
          if (!isDeepStrictEqual(now.value, live.value)) {
            throw new IncusError(412, "the object changed since it was read (compared before writing)", "PUT", path);
          }
        }
        await this.put(path, body, { ...opts, etag: live.etag });
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
    const res = await this.request("GET", `/1.0/operations/${opId(id)}`, { project: null, signal });
    return OperationSchema.parse(res.value);
  }

  /**
   * Waits for an async operation to finish; throws IncusError with Incus's text when it fails, a 408 IncusError
   * on timeout, the signal's reason on abort (after cancelling the operation if it can be). Listens on the events
   * stream, reading the operation once after subscribing (it may have finished already); falls back to
   * /1.0/operations/{id}/wait when the stream is unavailable or drops.
   */
  async waitOperation(id: string, opts: WaitOptions = {}): Promise<Operation> {
    const watch = await this.openWatch();
    try {
      return await this.awaitOperation(opId(id), undefined, opts, watch);
    } finally {
      watch?.close();
    }
  }

  private async openWatch(): Promise<OperationWatch | undefined> {
    if (!this.useEvents) return undefined;
    const hub = hubFor(this.endpoint);
    const watch = new OperationWatch(hub);
    try {
      await hub.ready();
      return watch;
    } catch {
      watch.close();
      return undefined;
    }
  }

  private async awaitOperation(
    id: string,
    initial: Operation | undefined,
    opts: WaitOptions,
    watch: OperationWatch | undefined,
    request?: OperationRequest,
  ): Promise<Operation> {
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    let latest = initial;
    try {
      if (watch) {
        latest ??= await this.getOperation(id, opts.signal);
        while (!operationFinished(latest) && !watch.streamLost) {
          this.checkDeadline(id, deadline, opts);
          const left = Math.max(1, Math.min(SAFETY_CHECK_MS, deadline - Date.now()));
          const seen = await watch.next(id, opts.onProgress, left, opts.signal);
          this.checkDeadline(id, deadline, opts);
          // No final event for a while (or a lost one): ask the server, which keeps finished operations 5 s.
          latest = seen ?? (watch.streamLost ? latest : await this.getOperation(id, opts.signal));
        }
        if (operationFinished(latest)) return this.finished(latest, request);
      }
      return await this.pollOperation(id, deadline, opts, request);
    } catch (err) {
      if (opts.signal?.aborted) await this.cancelOperation(id, watch?.latest ?? latest);
      // Incus accepted the request; unless the operation itself said it failed, its outcome is not known.
      if (err instanceof IncusError && !err.operationFailed) err.accepted = true;
      throw err;
    }
  }

  /** /wait in slices, so timeouts and aborts are honoured; /wait answers HTTP 200 even for failures (the operation's status code says how it ended). */
  private async pollOperation(id: string, deadline: number, opts: WaitOptions, request?: OperationRequest): Promise<Operation> {
    const path = `/1.0/operations/${id}`;
    for (;;) {
      this.checkDeadline(id, deadline, opts);
      const slice = Math.max(1, Math.min(WAIT_SLICE_S, Math.ceil((deadline - Date.now()) / 1000)));
      let op: Operation;
      try {
        const res = await this.request("GET", `${path}/wait`, { project: null, query: { timeout: slice }, signal: opts.signal });
        op = OperationSchema.parse(res.value);
      } catch (err) {
        // An error envelope from /wait means "failed" or "still running": the operation itself says which.
        if (!(err instanceof IncusError) || err.isNotFound) throw err;
        op = await this.getOperation(id, opts.signal);
      }
      if (op.metadata && opts.onProgress) opts.onProgress(op.metadata);
      if (operationFinished(op)) return this.finished(op, request);
    }
  }

  private checkDeadline(id: string, deadline: number, opts: WaitOptions): void {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    if (Date.now() >= deadline) {
      throw new IncusError(408, `operation ${id} did not finish within ${opts.timeoutMs} ms`, "GET", `/1.0/operations/${id}`);
    }
  }

  /** Best effort: the caller is already failing with the abort reason. */
  private async cancelOperation(id: string, op: Operation | undefined): Promise<void> {
    if (op?.may_cancel === false) return;
    try {
      await this.request("DELETE", `/1.0/operations/${id}`, { project: null });
    } catch {
      // not cancellable, or already finished
    }
  }

  /** A failed operation becomes an IncusError that names the request that started it, when known. */
  private finished(op: Operation, request?: OperationRequest): Operation {
    if (op.status_code === 200) return op;
    const { method, path } = request ?? { method: "OPERATION", path: `/1.0/operations/${op.id}` };
    const err = new IncusError(op.status_code, op.err || op.status, method, `${path} (${op.description})`, undefined, undefined, op.id);
    err.operationFailed = true;
    throw err;
  }
}
