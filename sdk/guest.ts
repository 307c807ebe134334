// Guest API client, for code that runs inside an Incus instance: talks HTTP to /dev/incus/sock (the instance's own
// view: its config keys, devices, meta-data, events) and reports the workload Ready. No Pulumi dependency:
//   import { GuestClient } from "pulumi-incus/guest";
//   const guest = new GuestClient();
//   await guest.setReady();
import * as fs from "node:fs";
import * as http from "node:http";
import WebSocket from "ws";

/** GET /1.0 as the guest sees it. */
export interface GuestInfo {
  api_version: string;
  /** The host's name (cluster member) the instance runs on. */
  location: string;
  instance_type: "container" | "virtual-machine" | string;
  /** "Started", or "Ready" once the workload reported it. */
  state: string;
  [key: string]: unknown;
}

/** A notification on /1.0/events: a `user.*` config key or a device changed. */
export interface GuestEvent {
  type: "config" | "device" | string;
  timestamp: string;
  metadata: Record<string, unknown>;
}

export type GuestEventType = "config" | "device";

/** An answer other than 2xx from the guest API (its errors are plain text). */
export class GuestApiError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path}: ${body.trim() || "no message"} (HTTP ${status})`);
    this.name = "GuestApiError";
  }
}

export interface EventStream {
  /** Stops following the events. */
  close(): void;
  /** Resolves once the stream is open (events sent before that are not seen). */
  ready: Promise<void>;
}

export class GuestClient {
  /**
   * @param socketPath the guest API socket (default `/dev/incus/sock`, `security.guestapi` true; in an LXD instance,
   * where that is absent, LXD's `/dev/lxd/sock`, `security.devlxd` true).
   */
  constructor(readonly socketPath = fs.existsSync("/dev/incus/sock") || !fs.existsSync("/dev/lxd/sock") ? "/dev/incus/sock" : "/dev/lxd/sock") {}

  private request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; type?: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        {
          socketPath: this.socketPath,
          path,
          method,
          host: "incus",
          headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), type: res.headers["content-type"] }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }

  private async call(method: string, path: string, body?: unknown): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const res = await this.request(method, path, body);
      if (res.status >= 200 && res.status < 300) return res.text;
      // Seen live on a container a few seconds after its start: the server fails to identify the caller on a new
      // connection (HTTP 500 "readlink /proc/-1/ns/pid"). Every call here is idempotent: try again shortly.
      if (res.status !== 500 || attempt >= 4) throw new GuestApiError(res.status, method, path, res.text);
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }

  /** JSON answers; tolerates the daemon API's envelope should a server send one. */
  private async json<T>(path: string): Promise<T> {
    const parsed = JSON.parse(await this.call("GET", path)) as unknown;
    if (parsed && typeof parsed === "object" && "type" in parsed && "metadata" in parsed && (parsed as { type: unknown }).type === "sync") {
      return (parsed as { metadata: T }).metadata;
    }
    return parsed as T;
  }

  /** GET /1.0: API version, instance type, location and state. */
  info(): Promise<GuestInfo> {
    return this.json<GuestInfo>("/1.0");
  }

  /** Names of the config keys the instance may read (`user.*` and `cloud-init.*`). */
  async configKeys(): Promise<string[]> {
    const urls = await this.json<string[]>("/1.0/config");
    return (urls ?? []).map((u) => decodeURIComponent(u.replace(/^\/1\.0\/config\//, "")));
  }

  /** One config key's value, or undefined when it is not set. */
  async config(key: string): Promise<string | undefined> {
    try {
      return await this.call("GET", `/1.0/config/${encodeURIComponent(key)}`);
    } catch (err) {
      if (err instanceof GuestApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Every readable config key with its value. */
  async configMap(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const key of await this.configKeys()) {
      const v = await this.config(key);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }

  /** The instance's devices (profiles' included), by name. */
  devices(): Promise<Record<string, Record<string, string>>> {
    return this.json("/1.0/devices");
  }

  /** cloud-init meta-data (`instance-id`, `local-hostname`, …) as the text Incus serves. */
  metaData(): Promise<string> {
    return this.call("GET", "/1.0/meta-data");
  }

  /**
   * Sets the state Incus shows for the instance: "Ready" once the workload is up, "Started" to withdraw it. Fails on
   * a guest API that has no such state (LXD 5.0's /dev/lxd/sock reports `state: ""` and accepts the change without
   * doing anything), so a workload does not believe it told the host it is ready.
   */
  async setState(state: "Ready" | "Started"): Promise<void> {
    const { state: now } = await this.info();
    if (typeof now !== "string" || now === "") {
      throw new Error(
        `setState("${state}"): the guest API on ${this.socketPath} has no instance state (LXD has no Ready state; use a user.* key or a file instead)`,
      );
    }
    await this.call("PATCH", "/1.0", { state });
  }

  /** Reports the workload ready (the instance's status becomes Ready; a `waitFor.ready` on the host is met). */
  setReady(): Promise<void> {
    return this.setState("Ready");
  }

  /** Follows /1.0/events (all types unless `types` says) until `close()`; each event goes to `handler`. */
  events(handler: (event: GuestEvent) => void, types?: GuestEventType[]): EventStream {
    const query = types?.length ? `?type=${types.join(",")}` : "";
    const ws = new WebSocket(`ws+unix://${this.socketPath}:/1.0/events${query}`, { perMessageDeflate: false });
    ws.on("message", (data) => {
      try {
        handler(JSON.parse(data.toString()) as GuestEvent);
      } catch {
        // not an event: ignore
      }
    });
    const ready = new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ready.catch(() => undefined);
    return { close: () => ws.terminate(), ready };
  }
}
