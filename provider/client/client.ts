// The one way the provider talks to Incus: HTTP over the unix socket or HTTPS, every envelope parsed, one error
// type, ETag-guarded writes and operation waiting. No Pulumi dependency.
import * as fs from "node:fs";
import { Readable } from "node:stream";
import { Pool, type Dispatcher } from "undici";
import { IncusError, isPreconditionFailed } from "./errors";
import { type Endpoint, endpointKey, resolveUnixEndpoint } from "./endpoint";
import { EnvelopeSchema, type Operation, OperationSchema, operationFinished, ServerSchema, type Server } from "./schemas";

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
  signal?: AbortSignal;
  onProgress?: (metadata: Record<string, unknown>) => void;
}

export interface SyncResult<T> {
  value: T;
  etag?: string;
  location?: string;
  status: number;
}

export interface WriteOptions extends RequestOptions, WaitOptions {}

const pools = new Map<string, Pool>();

/** One keep-alive pool per endpoint, shared by every client in the process. */
function poolFor(endpoint: Endpoint): { pool: Pool; origin: string } {
  const key = endpointKey(endpoint);
  let pool = pools.get(key);
  const origin = endpoint.kind === "unix" ? "http://unix.socket" : endpoint.url;
  if (!pool) {
    pool =
      endpoint.kind === "unix"
        ? new Pool(origin, { socketPath: endpoint.socketPath, connections: 16, pipelining: 1, keepAliveTimeout: 30_000 })
        : new Pool(origin, { connections: 16, keepAliveTimeout: 30_000, connect: tlsOptions(endpoint) });
    pools.set(key, pool);
  }
  return { pool, origin };
}

function tlsOptions(e: Extract<Endpoint, { kind: "https" }>) {
  const pinned = e.serverCert;
  return {
    cert: e.clientCert,
    key: e.clientKey,
    ca: pinned ?? e.ca,
    // A pinned certificate is trusted by identity, whatever names it carries (the incus CLI does the same).
    checkServerIdentity: pinned ? () => undefined : undefined,
  };
}

/** Closes every pooled connection (lets a short-lived process exit promptly). */
export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}

/** When PULUMI_INCUS_REQUEST_LOG names a file, every request is appended to it as "METHOD path": tests count writes. */
function logRequest(method: string, path: string): void {
  const file = process.env.PULUMI_INCUS_REQUEST_LOG;
  if (file) fs.appendFileSync(file, `${method} ${path}\n`);
}

function isRawBody(body: unknown): body is Buffer | Uint8Array | Readable {
  return body instanceof Uint8Array || body instanceof Readable;
}

export class IncusClient {
  readonly endpoint: Endpoint;

  constructor(endpoint?: Endpoint) {
    this.endpoint = endpoint ?? resolveUnixEndpoint();
  }

  get defaultProject(): string {
    return this.endpoint.defaultProject;
  }

  private url(path: string, opts: RequestOptions): string {
    const params = new URLSearchParams();
    const [base, existing] = path.split("?", 2);
    if (existing) new URLSearchParams(existing).forEach((v, k) => params.set(k, v));
    const project = opts.project === undefined ? this.endpoint.defaultProject : opts.project;
    if (project !== null && project !== "default" && !params.has("project")) params.set("project", project);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    return qs ? `${base}?${qs}` : base;
  }

  /** Sends one request and returns the raw undici response (for downloads and non-envelope bodies). */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
    const { pool } = poolFor(this.endpoint);
    const url = this.url(path, opts);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    let body: string | Buffer | Uint8Array | Readable | undefined;
    if (opts.body !== undefined) {
      if (isRawBody(opts.body)) {
        body = opts.body;
        headers["content-type"] ??= "application/octet-stream";
      } else {
        body = JSON.stringify(opts.body);
        headers["content-type"] = "application/json";
      }
    }
    if (opts.etag) headers["if-match"] = opts.etag;
    logRequest(method, url);
    try {
      return await pool.request({ method: method as Dispatcher.HttpMethod, path: url, headers, body, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const where = this.endpoint.kind === "unix" ? `socket ${this.endpoint.socketPath}` : this.endpoint.url;
      throw new IncusError(0, `cannot reach Incus at ${where}: ${(err as Error).message}`, method, url);
    }
  }

  /**
   * One request, envelope parsed. Error envelopes (whatever the HTTP status, see /wait) throw IncusError.
   * Returns the sync metadata, or the operation for async answers (not waited for).
   */
  async request<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<SyncResult<T> & { operation?: Operation }> {
    const res = await this.raw(method, path, opts);
    const text = await res.body.text();
    const url = this.url(path, opts);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new IncusError(res.statusCode, `unexpected non-JSON answer: ${text.slice(0, 200)}`, method, url);
    }
    const env = EnvelopeSchema.safeParse(parsed);
    if (!env.success) throw new IncusError(res.statusCode, `unexpected answer: ${text.slice(0, 200)}`, method, url);
    const header = (name: string) => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const etag = header("etag");
    const location = header("location");
    switch (env.data.type) {
      case "error":
        throw new IncusError(env.data.error_code || res.statusCode, env.data.error, method, url);
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

  /** A request that may be async: waits for the operation and throws its error text when it fails. */
  async write<T = unknown>(method: string, path: string, opts: WriteOptions = {}): Promise<SyncResult<T> & { operation?: Operation }> {
    const res = await this.request<T>(method, path, opts);
    if (!res.operation) return res;
    const op = await this.waitOperation(res.operation.id, opts);
    return { ...res, operation: op };
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
   * Read-modify-write guarded by If-Match. `build` gets the live object and returns the PUT body (or undefined
   * for "nothing to write"). On 412 someone else wrote in between: read again and rebuild, so their change to
   * fields we do not set is kept.
   */
  async update<T>(
    path: string,
    build: (live: T) => unknown | undefined,
    opts: WriteOptions & { retries?: number } = {},
  ): Promise<{ written: boolean; attempts: number }> {
    const retries = opts.retries ?? 5;
    for (let attempt = 1; ; attempt++) {
      const live = await this.get<T>(path, opts);
      const body = build(live.value);
      if (body === undefined) return { written: false, attempts: attempt };
      try {
        await this.put(path, body, { ...opts, etag: live.etag });
        return { written: true, attempts: attempt };
      } catch (err) {
        if (!isPreconditionFailed(err) || attempt > retries) throw err;
      }
    }
  }

  /** GET /1.0: the server's identity and version. */
  async server(): Promise<Server> {
    return ServerSchema.parse((await this.get("/1.0", { project: null })).value);
  }

  /**
   * Waits for an async operation to finish; throws IncusError with Incus's text when it fails.
   * Uses /1.0/operations/{id}/wait in slices, so timeouts and aborts are honoured; /wait answers HTTP 200
   * even for failures, so the final state is read from the operation itself.
   */
  async waitOperation(id: string, opts: WaitOptions = {}): Promise<Operation> {
    const opId = id.replace(/^\/1\.0\/operations\//, "");
    const path = `/1.0/operations/${opId}`;
    const deadline = opts.timeoutMs ? Date.now() + opts.timeoutMs : Infinity;
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
      const left = deadline - Date.now();
      if (left <= 0) throw new IncusError(408, `operation ${opId} did not finish within ${opts.timeoutMs} ms`, "GET", path);
      const slice = Math.max(1, Math.min(5, Math.ceil(left / 1000)));
      let op: Operation | undefined;
      try {
        const res = await this.request("GET", `${path}/wait`, { project: null, query: { timeout: slice }, signal: opts.signal });
        op = OperationSchema.parse(res.value);
      } catch (err) {
        // An error envelope from /wait means "failed" or "still running": the operation itself says which.
        if (!(err instanceof IncusError) || err.isNotFound) throw err;
        op = OperationSchema.parse((await this.request("GET", path, { project: null })).value);
      }
      if (op.metadata && opts.onProgress) opts.onProgress(op.metadata);
      if (operationFinished(op)) return this.finished(op, path);
    }
  }

  private finished(op: Operation, path: string): Operation {
    if (op.status_code === 200) return op;
    throw new IncusError(op.status_code, op.err || op.status, "OPERATION", `${path} (${op.description})`);
  }
}
