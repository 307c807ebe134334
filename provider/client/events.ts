// The events websocket (`/1.0/events`): one shared connection per endpoint per process, opened on first use,
// reconnected while someone listens, closed when idle. It never keeps a process alive unless someone listens.
import type { Socket } from "node:net";
import WebSocket from "ws";
import { z } from "zod";
import { describeEndpoint, type Endpoint, endpointKey } from "./endpoint";
import { logRequest } from "./requestlog";
import { OperationRoutes, type OperationWatch } from "./opwatch";
import { tlsOptions } from "./transport";

export const EventSchema = z.looseObject({
  type: z.string(),
  timestamp: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  location: z.string().optional(),
  /** Missing on events that belong to no project (e.g. a project rename). */
  project: z.string().optional(),
});
export type IncusEvent = z.infer<typeof EventSchema>;

/** The event types the shared stream carries. */
export type EventType = "operation" | "lifecycle";

type Listener = (event: IncusEvent) => void;

/** Close the stream after this long without listeners (the socket is unref'd meanwhile). */
const IDLE_CLOSE_MS = 10_000;
/** The server pings every 10 s; three missed pings mean the connection is dead. */
const DEAD_AFTER_MS = 35_000;
const OPEN_TIMEOUT_MS = 5_000;
const RECONNECT_MAX_MS = 5_000;

export class EventHub {
  private ws?: WebSocket;
  private socket?: Socket;
  private opening?: Promise<void>;
  private readonly listeners = new Map<Listener, (() => void) | undefined>();
  private idleTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private backoffMs = 250;
  /** Restricted clients may be refused all-projects; they then get their default project's events. */
  private allProjects = true;
  private closed = false;
  /** The operation waits (opwatch.ts), which keep the stream open as listeners do. */
  readonly routes = new OperationRoutes();

  constructor(private readonly endpoint: Endpoint) {}

  private get busy(): boolean {
    return this.listeners.size > 0 || this.routes.watches.size > 0;
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves once the stream is open; rejects when it cannot be opened. */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  /**
   * Adds a listener (the stream opens or stays open for it). `onDrop` runs when the connection is lost, so a waiter
   * can fall back to polling; the hub itself reconnects while listeners remain.
   */
  add(listener: Listener, onDrop?: () => void): () => void {
    this.listeners.set(listener, onDrop);
    this.hold();
    return () => this.remove(listener);
  }

  addWatch(watch: OperationWatch): void {
    this.routes.add(watch);
    this.hold();
  }

  removeWatch(watch: OperationWatch, id: string | undefined): void {
    this.routes.remove(watch, id);
    this.release();
  }

  private hold(): void {
    this.closed = false;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.socket?.ref();
    if (!this.connected && !this.opening && !this.reconnectTimer) this.ready().catch(() => this.scheduleReconnect());
  }

  private remove(listener: Listener): void {
    if (this.listeners.delete(listener)) this.release();
  }

  private release(): void {
    if (this.busy) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.socket?.unref();
    this.idleTimer = setTimeout(() => this.close(), IDLE_CLOSE_MS).unref();
  }

  /** Closes the connection now and stops reconnecting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.watchdog);
    this.idleTimer = this.reconnectTimer = this.watchdog = undefined;
    const ws = this.ws;
    this.ws = this.socket = undefined;
    ws?.terminate();
    for (const onDrop of [...this.listeners.values()]) onDrop?.();
    this.routes.dropped();
  }

  private url(path: string): string {
    const e = this.endpoint;
    return e.kind === "unix" ? `ws+unix://${e.socketPath}:${path}` : `${e.url.replace(/^https:/, "wss:")}${path}`;
  }

  private connect(): Promise<void> {
    const scope = this.allProjects ? "all-projects=true" : `project=${encodeURIComponent(this.endpoint.defaultProject)}`;
    const path = `/1.0/events?type=operation,lifecycle&${scope}`;
    logRequest("GET", path);
    const tls = this.endpoint.kind === "https" ? tlsOptions(this.endpoint) : {};
    const ws = new WebSocket(this.url(path), { ...tls, handshakeTimeout: OPEN_TIMEOUT_MS, perMessageDeflate: false });
    return new Promise<void>((resolve, reject) => {
      ws.on("upgrade", (res) => {
        this.socket = res.socket as Socket;
        if (!this.busy) this.socket.unref();
      });
      ws.once("open", () => {
        if (this.closed) {
          ws.terminate();
          reject(new Error("events stream closed"));
          return;
        }
        this.ws = ws;
        this.backoffMs = 250;
        this.kick(ws);
        resolve();
      });
      ws.on("error", (err) => {
        if (ws.readyState === WebSocket.OPEN) return; // a close follows
        const refused = /Unexpected server response: 403/.test(err.message);
        if (refused && this.allProjects) {
          this.allProjects = false;
          this.connect().then(resolve, reject);
          return;
        }
        reject(new Error(`events stream of ${describeEndpoint(this.endpoint)}: ${err.message}`));
      });
      ws.on("message", (data) => {
        this.kick(ws);
        this.dispatch(data.toString());
      });
      ws.on("ping", () => this.kick(ws));
      ws.once("close", () => this.dropped(ws));
    });
  }

  /** Restarts the dead-connection timer (any frame from the server proves it alive). */
  private kick(ws: WebSocket): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => ws.terminate(), DEAD_AFTER_MS).unref();
  }

  private dispatch(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const event = EventSchema.safeParse(parsed);
    if (!event.success) return;
    if (event.data.type === "operation") this.routes.dispatch(event.data.metadata);
    for (const listener of [...this.listeners.keys()]) {
      try {
        listener(event.data);
      } catch (err) {
        process.emitWarning(`Incus event handler failed: ${(err as Error).message}`);
      }
    }
  }

  private dropped(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = this.socket = undefined;
    clearTimeout(this.watchdog);
    for (const onDrop of [...this.listeners.values()]) onDrop?.();
    this.routes.dropped();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || !this.busy || this.reconnectTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ready().catch(() => this.scheduleReconnect());
    }, delay);
  }
}

const hubs = new Map<string, EventHub>();

export function hubFor(endpoint: Endpoint): EventHub {
  const key = endpointKey(endpoint);
  let hub = hubs.get(key);
  if (!hub) hubs.set(key, (hub = new EventHub(endpoint)));
  return hub;
}

export function closeHubs(): void {
  for (const hub of hubs.values()) hub.close();
  hubs.clear();
}
