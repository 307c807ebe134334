// One request to Incus: the URL with its project scope, the send (tried again while a daemon that answered before
// restarts), the JSON envelope parsed, and every failure turned into an IncusError with a hint. Operations and the
// write helpers are built on this in client.ts.
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { type Dispatcher, FormData } from "undici";
import { describeEndpoint, type Endpoint } from "./endpoint";
import { IncusError, TLS_VERIFY_CODES } from "./errors";
import { logRequest } from "./requestlog";
import { EnvelopeSchema, type Operation } from "./schemas";
import { poolFor } from "./transport";

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
  /**
   * Part of waiting for an operation (its /wait, which the server holds open, or a read of it): sent on the endpoint's
   * pool for waits, so waits never hold every connection from other requests, nor queue behind them.
   */
  operationWait?: boolean;
}

export interface SyncResult<T> {
  value: T;
  etag?: string;
  location?: string;
  status: number;
}

export interface Download {
  /** The body, streamed; consume or destroy it. */
  stream: Readable;
  /** Response headers, lower-case (e.g. x-incus-type, x-incus-mode). */
  headers: Record<string, string>;
  /** Content-Length when the server sent one. */
  size?: number;
}

function isRawBody(body: unknown): body is Buffer | Uint8Array | Readable {
  return body instanceof Uint8Array || body instanceof Readable;
}

/**
 * LXD names the headers of uploads and file transfers X-LXD-* where Incus says X-Incus-* (mode, uid, fingerprint,
 * …), and each server ignores the other's: requests carry both forms, and answers are read in Incus's.
 */
function lxdTwins(headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) if (k.startsWith("x-incus-")) headers[`x-lxd-${k.slice(8)}`] ??= v;
}
function incusTwins(headers: Record<string, string | string[] | undefined>): void {
  for (const [k, v] of Object.entries(headers)) if (k.startsWith("x-lxd-")) headers[`x-incus-${k.slice(6)}`] ??= v;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Sends requests to one endpoint; one per IncusClient, since it remembers whether the daemon has answered. */
export class Requester {
  /** The daemon has answered this client at least once. */
  private answered = false;

  constructor(
    readonly endpoint: Endpoint,
    private readonly reconnectTimeoutMs: number,
    private readonly requestTimeoutMs: number,
  ) {}

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
    lxdTwins(headers);
    // A body that is a stream can be sent once only; every other request can be tried again while the daemon is
    // away, since a request that never connected had no effect.
    const resendable = !(body instanceof Readable) && !(body instanceof FormData);
    const giveUpAt = Date.now() + this.reconnectTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      logRequest(method, url);
      try {
        const res = await poolFor(this.endpoint, opts.operationWait).request({
          method: method as Dispatcher.HttpMethod,
          path: url,
          headers,
          body,
          signal: opts.signal,
          headersTimeout: this.requestTimeoutMs,
        });
        this.answered = true;
        incusTwins(res.headers);
        return { res, url };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const e = this.unreachable(err as Error, method, url);
        // A GET may be tried again whatever happened to it (a pooled connection the restarting daemon closed); a
        // write only when it certainly never left. A daemon that hangs is not waited for twice.
        // Only a daemon that answered before is waited for (it went away and is coming back); one that never answered
        // in this process gets the error at once.
        const again = this.answered && (e.notSent || (method === "GET" && e.networkCode !== "UND_ERR_HEADERS_TIMEOUT"));
        // A pooled keep-alive connection the server closed as the request went out ("other side closed") is no
        // sign of a daemon away: a GET gets one immediate second try on a new connection, whatever the reconnect wait.
        const staleConnection = attempt === 1 && method === "GET" && e.networkCode === "UND_ERR_SOCKET";
        if (!resendable || !(staleConnection || (again && Date.now() < giveUpAt))) throw e;
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
}
