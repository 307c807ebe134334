// A stand-in for the daemon in unit tests: an HTTP server on a unix socket that keeps objects by path, answers
// with Incus's envelopes and ETags, checks If-Match, and records every request. Tests script races (a writer that
// changes the object just before our PUT) through `beforeWrite`. No events stream: writes answer synchronously.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";

type State = Record<string, unknown>;

export interface Recorded {
  method: string;
  path: string;
  ifMatch?: string;
  body?: State;
}

export class FakeIncus {
  readonly socket: string;
  readonly requests: Recorded[] = [];
  private readonly objects = new Map<string, { value: State; etag: string }>();
  private etags = 0;
  private server?: http.Server;
  /**
   * Runs before a PUT or POST is applied: an error status answers with that error instead (e.g. 409), "handled"
   * answers success without applying the write (the hook did it itself).
   */
  beforeWrite?: (req: Recorded) => number | "handled" | void;
  /** Runs before a DELETE: an error status answers with that error instead (Incus failing a delete part-way). */
  beforeDelete?: (req: Recorded) => number | void;
  /** The error text of a write forced to fail by `beforeWrite` or `beforeDelete` (default: "forced <status>"). */
  errorText?: string;

  constructor() {
    this.socket = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pi-fake-")), "incus.socket");
  }

  set(objectPath: string, value: State): void {
    this.objects.set(objectPath, { value: structuredClone(value), etag: `etag-${++this.etags}` });
  }

  get(objectPath: string): State | undefined {
    return this.objects.get(objectPath)?.value;
  }

  remove(objectPath: string): void {
    this.objects.delete(objectPath);
  }

  writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => this.answer(req, text, res));
    });
    // The client tries the events websocket before a write; refusing it makes the client wait by polling.
    this.server.on("upgrade", (_req, socket) => socket.destroy());
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    this.server?.closeAllConnections?.();
  }

  private answer(req: http.IncomingMessage, text: string, res: http.ServerResponse) {
    const [objectPath] = (req.url ?? "").split("?");
    const rec: Recorded = { method: req.method ?? "", path: req.url ?? "", ifMatch: req.headers["if-match"] as string | undefined };
    if (text) rec.body = JSON.parse(text);
    this.requests.push(rec);
    const send = (status: number, body: State, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const error = (status: number, message: string) => send(status, { type: "error", error_code: status, error: message, metadata: null });
    const ok = (metadata: unknown, headers: Record<string, string> = {}) => send(200, { type: "sync", status: "Success", status_code: 200, metadata }, headers);

    const forced = rec.method === "DELETE" ? this.beforeDelete?.(rec) : rec.method !== "GET" ? this.beforeWrite?.(rec) : undefined;
    if (forced === "handled") return ok(null);
    if (forced) return error(forced, forced === 409 ? "Object already exists" : (this.errorText ?? `forced ${forced}`));
    const current = this.objects.get(objectPath);
    switch (rec.method) {
      case "GET":
        if (current) return ok(current.value, { etag: `"${current.etag}"` });
        // A collection with recursion=1 (or 2): every object right under it (no ETag, as Incus sends none for lists).
        if (/[?&]recursion=[12](&|$)/.test(rec.path)) {
          const children = [...this.objects].filter(([p]) => p.startsWith(`${objectPath}/`) && !p.slice(objectPath.length + 1).includes("/"));
          return ok(children.map(([, o]) => o.value));
        }
        return error(404, "not found");
      case "PUT":
        if (!current) return error(404, "not found");
        if (rec.ifMatch && rec.ifMatch.replace(/"/g, "") !== current.etag) return error(412, `ETag doesn't match: ${current.etag} vs ${rec.ifMatch}`);
        this.set(objectPath, { ...current.value, ...rec.body });
        return ok({});
      case "POST": {
        const name = String(rec.body?.name ?? "");
        const target = `${objectPath}/${encodeURIComponent(name)}`;
        if (this.objects.has(target)) return error(409, "Object already exists");
        this.set(target, rec.body ?? {});
        return ok(null);
      }
      case "PATCH": {
        // As the server's config (`PATCH /1.0`): config keys merge, "" unsets one.
        if (!current) return error(404, "not found");
        const config = { ...((current.value.config ?? {}) as State), ...((rec.body?.config ?? {}) as State) };
        for (const [k, v] of Object.entries(config)) if (v === "") delete config[k];
        this.set(objectPath, { ...current.value, ...rec.body, config });
        return ok({});
      }
      case "DELETE":
        if (!current) return error(404, "not found");
        this.objects.delete(objectPath);
        return ok(null);
      default:
        return error(501, "not implemented");
    }
  }
}

/**
 * A fake daemon for the whole test file: started before its tests, stopped (with the client's pooled connections to
 * it) after them. Read `.current` inside tests and hooks. `asDefault` makes it the daemon a connection with no socket
 * or remote reaches (INCUS_SOCKET) for the file, as the plugin's calls do.
 */
export function fakeIncusForFile(opts: { asDefault?: boolean } = {}): { readonly current: FakeIncus } {
  const holder = { current: undefined as unknown as FakeIncus };
  let saved: string | undefined;
  beforeAll(async () => {
    holder.current = await new FakeIncus().start();
    saved = process.env.INCUS_SOCKET;
    if (opts.asDefault) process.env.INCUS_SOCKET = holder.current.socket;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.INCUS_SOCKET;
    else process.env.INCUS_SOCKET = saved;
    const { closeAllPools } = await import("pulumi-incus/provider");
    await closeAllPools();
    await holder.current.stop();
  });
  return holder;
}
