// Which Incus a resource talks to: its own settings, else the provider-wide ones from stack config (incus:*).
import { createPrivateKey, X509Certificate } from "node:crypto";
import { type Endpoint, IncusClient, resolveEndpoint, type ServerKind } from "../client";

export interface ProviderSettings {
  remote?: string;
  project?: string;
  socket?: string;
  configDir?: string;
  /**
   * `lxd` (`incus:server`): the daemon is LXD, found the way the `lxc` CLI finds it (LXD_SOCKET, LXD_DIR, the snap's
   * or /var/lib/lxd's socket; remotes of ~/.config/lxc or the snap's). Default `incus`.
   */
  server?: string;
  /** Seconds one Incus operation (create, start, image upload, …) or one request may take (`incus:timeout`). */
  timeout?: string;
  /** Seconds to keep trying while the daemon cannot be reached, e.g. during a restart (`incus:reconnectTimeout`). */
  reconnectTimeout?: string;
  /**
   * Unless "false": mark each object the stack makes with the owner its inputs carry (stack instance and resource;
   * `incus:markOwner`, the config key `user.pulumi-incus.stack`), so the next run takes over an object a killed run
   * made but could not record. The mark rides in the create request and stays on the object: no extra request.
   */
  markOwner?: string;
}

/** While the daemon restarts, requests wait for it this long by default. */
const DEFAULT_RECONNECT_S = 20;

function seconds(setting: "timeout" | "reconnectTimeout"): number | undefined {
  const raw = settings[setting];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`incus:${setting} must be a number of seconds, not ${JSON.stringify(raw)}`);
  return n * 1000;
}

let settings: ProviderSettings = {};

function serverKind(): ServerKind {
  const s = settings.server ?? "incus";
  if (s !== "incus" && s !== "lxd") throw new Error(`incus:server must be "incus" or "lxd", not ${JSON.stringify(s)}`);
  return s;
}

/** Called from the dynamic provider's `configure` with the stack's `incus:*` values. */
export function configure(next: ProviderSettings): void {
  settings = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined && v !== "")) as ProviderSettings;
}

export function providerSettings(): ProviderSettings {
  return settings;
}

const clients = new Map<string, IncusClient>();

/**
 * One client per distinct connection in this process (clients share one connection pool per endpoint). A
 * resource's own socket/remote wins over the stack's; an explicit socket wins over a remote, as in the CLI.
 */
export function clientFor(state: Record<string, unknown>): IncusClient {
  const own = state.socket !== undefined || state.remote !== undefined;
  const socket = (state.socket as string | undefined) ?? (own ? undefined : settings.socket);
  const remote = (state.remote as string | undefined) ?? (own ? undefined : settings.remote);
  const configDir = (state.configDir as string | undefined) ?? settings.configDir;
  const server = serverKind();
  const key = JSON.stringify([socket, remote, configDir, server]);
  let client = clients.get(key);
  if (!client) {
    const timeout = seconds("timeout");
    client = new IncusClient(resolveEndpoint({ socket, remote, configDir, server }), {
      reconnectTimeoutMs: seconds("reconnectTimeout") ?? DEFAULT_RECONNECT_S * 1000,
      requestTimeoutMs: timeout,
      operationTimeoutMs: timeout,
    });
    clients.set(key, client);
  }
  return client;
}

/** The project a resource uses when it names none: stack config, else the endpoint's default. */
export function defaultProject(client: IncusClient): string {
  return settings.project ?? client.defaultProject;
}

/**
 * What can be known about an HTTPS endpoint without connecting: the address is a URL and its certificates and key
 * are PEM that parses. Throws a message that names the bad part.
 */
export function checkEndpoint(e: Endpoint): void {
  if (e.kind === "unix") return;
  const where = e.remote ? `remote "${e.remote}"` : e.url;
  let url: URL;
  try {
    url = new URL(e.url);
  } catch {
    throw new Error(`${where}: ${JSON.stringify(e.url)} is not an https://host:port address`);
  }
  if (url.protocol !== "https:" || !url.hostname) throw new Error(`${where}: ${JSON.stringify(e.url)} is not an https://host:port address`);
  const pem = (what: string, text: string | undefined, parse: (t: string) => unknown) => {
    if (text === undefined) return;
    try {
      parse(text);
    } catch (err) {
      throw new Error(`${where}: the ${what} is not valid PEM (${(err as Error).message})`);
    }
  };
  pem("client certificate (client.crt)", e.clientCert, (t) => new X509Certificate(t));
  pem("client key (client.key)", e.clientKey, (t) => createPrivateKey(t));
  pem("pinned server certificate (servercerts/)", e.serverCert, (t) => new X509Certificate(t));
  pem("CA certificate (client.ca)", e.ca, (t) => new X509Certificate(t));
}
