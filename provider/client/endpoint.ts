// Where the client connects: the unix-socket lookup of the `incus` CLI (in its order, below), or an HTTPS remote
// from the CLI's config.yml or from explicit settings.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { type CliConfig, loadCliConfig, readOptional, serverCertPath } from "./cliconfig";

export interface UnixEndpoint {
  kind: "unix";
  socketPath: string;
  /** Project used when a call names none; `user-<uid>` on the incus-user socket. */
  defaultProject: string;
}

export interface HttpsEndpoint {
  kind: "https";
  /** e.g. https://127.0.0.1:8443 */
  url: string;
  /** PEM client certificate and key for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
  /** PEM server certificate to pin (exact match), or a CA to verify against. */
  serverCert?: string;
  ca?: string;
  defaultProject: string;
  /** The config.yml remote this came from, for messages. */
  remote?: string;
}

export type Endpoint = UnixEndpoint | HttpsEndpoint;

export function endpointKey(e: Endpoint): string {
  if (e.kind === "unix") return `unix:${e.socketPath}`;
  const secrets = createHash("sha256")
    .update(`${e.clientCert ?? ""}\0${e.clientKey ?? ""}\0${e.serverCert ?? ""}\0${e.ca ?? ""}`)
    .digest("hex");
  return `https:${e.url}:${secrets}`;
}

/** Human-readable "where" for error messages. */
export function describeEndpoint(e: Endpoint): string {
  if (e.kind === "unix") return `socket ${e.socketPath}`;
  return e.remote ? `remote "${e.remote}" (${e.url})` : e.url;
}

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The daemon's default sockets, in the order the CLI tries them. */
export const SYSTEM_SOCKETS = { run: "/run/incus/unix.socket", var: "/var/lib/incus/unix.socket" };

/**
 * The socket the `incus` CLI would use: an explicit path, then INCUS_SOCKET, INCUS_DIR/unix.socket,
 * /run/incus/unix.socket when it exists, /var/lib/incus/unix.socket; then, when that socket is not writable but
 * `unix.socket.user` beside it is, the incus-user socket with project `user-<uid>`.
 */
export function resolveUnixEndpoint(
  explicitSocket?: string,
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.geteuid?.() ?? 0,
  system: { run: string; var: string } = SYSTEM_SOCKETS,
): UnixEndpoint {
  let socketPath: string;
  if (explicitSocket) socketPath = explicitSocket;
  else if (env.INCUS_SOCKET) socketPath = env.INCUS_SOCKET;
  else if (env.INCUS_DIR) socketPath = path.join(env.INCUS_DIR, "unix.socket");
  else if (exists(system.run)) socketPath = system.run;
  else socketPath = system.var;

  if (!explicitSocket && !env.INCUS_SOCKET && !writable(socketPath)) {
    const userSocket = path.join(path.dirname(socketPath), "unix.socket.user");
    if (writable(userSocket)) return { kind: "unix", socketPath: userSocket, defaultProject: `user-${uid}` };
  }
  return { kind: "unix", socketPath, defaultProject: "default" };
}

/** The daemon's kind: its own socket lookup and CLI config (`incus` and ~/.config/incus, or `lxc` and ~/.config/lxc). */
export type ServerKind = "incus" | "lxd";

/** LXD's sockets: the snap's (when the snap is there), else Debian's and LXD's own default. */
export const LXD_SOCKETS = { snap: "/var/snap/lxd/common/lxd/unix.socket", var: "/var/lib/lxd/unix.socket" };

/** The socket the `lxc` CLI would use: an explicit path, then LXD_SOCKET, LXD_DIR/unix.socket, the snap's, /var/lib/lxd's. */
export function resolveLxdSocket(explicitSocket?: string, env: NodeJS.ProcessEnv = process.env, system = LXD_SOCKETS): UnixEndpoint {
  let socketPath: string;
  if (explicitSocket) socketPath = explicitSocket;
  else if (env.LXD_SOCKET) socketPath = env.LXD_SOCKET;
  else if (env.LXD_DIR) socketPath = path.join(env.LXD_DIR, "unix.socket");
  else if (exists(path.dirname(system.snap))) socketPath = system.snap;
  else socketPath = system.var;
  return { kind: "unix", socketPath, defaultProject: "default" };
}

/** Provider settings that say where Incus is; every field is optional and the CLI's defaults fill the rest. */
export interface EndpointSettings {
  /** `lxd`: find LXD the way the `lxc` CLI does (LXD_SOCKET, LXD_DIR, its sockets, ~/.config/lxc remotes). Default `incus`. */
  server?: ServerKind;
  /**
   * A remote name from the CLI's config.yml ("local" is the unix socket), or an address: `unix://` (the default
   * socket lookup), `unix:/path/to/socket`, `https://host:port`. Default: INCUS_REMOTE, else config.yml's
   * default-remote, else "local".
   */
  remote?: string;
  /** An explicit unix socket; wins over `remote`. */
  socket?: string;
  /** The CLI's config dir (config.yml, client.crt, client.key, servercerts/); default INCUS_CONF, else ~/.config/incus. */
  configDir?: string;
  /** Project for calls that name none; default INCUS_PROJECT, else the remote's project, else "default". */
  project?: string;
  /** PEM material for HTTPS; each one overrides the file in configDir. */
  clientCert?: string;
  clientKey?: string;
  serverCert?: string;
  ca?: string;
  /** Environment and uid to resolve against (defaults: this process's). */
  env?: NodeJS.ProcessEnv;
  uid?: number;
}

/** True when `remote` is an address rather than a config.yml remote name. */
export function isRemoteAddress(remote: string): boolean {
  return remote.startsWith("unix:") || remote.startsWith("https://");
}

function unixFromAddr(addr: string, env: NodeJS.ProcessEnv, uid?: number, server?: ServerKind): UnixEndpoint {
  const socket = addr.replace(/^unix:(\/\/)?/, "") || undefined;
  return server === "lxd" ? resolveLxdSocket(socket, env) : resolveUnixEndpoint(socket, env, uid);
}

/**
 * Resolves provider settings to an endpoint, with the `incus` CLI's rules (see EndpointSettings). Reads files
 * only; no connection is made.
 */
export function resolveEndpoint(settings: EndpointSettings = {}): Endpoint {
  const env = settings.env ?? process.env;
  const lxd = settings.server === "lxd";
  const override = settings.project || (lxd ? undefined : env.INCUS_PROJECT) || undefined;
  const withProject = <E extends Endpoint>(e: E, remoteProject?: string): E => {
    const project = override ?? (remoteProject && remoteProject !== "default" ? remoteProject : undefined);
    return project ? { ...e, defaultProject: project } : e;
  };

  if (settings.socket) return withProject(unixFromAddr(settings.socket, env, settings.uid, settings.server));

  let config: CliConfig | undefined;
  const cli = () => (config ??= loadCliConfig(settings.configDir, env, settings.server));
  const name = settings.remote || cli().defaultRemote;
  let addr: string;
  let remoteProject: string | undefined;
  let remoteName: string | undefined;
  if (isRemoteAddress(name)) {
    addr = name;
  } else {
    const remote = cli().remotes[name];
    if (!remote) throw new Error(`${lxd ? "LXD" : "Incus"} remote "${name}" is not in ${path.join(cli().dir, "config.yml")}`);
    if (remote.public || remote.protocol === "simplestreams") {
      throw new Error(`${lxd ? "LXD" : "Incus"} remote "${name}" (${remote.addr}) is an image server, not an ${lxd ? "LXD" : "Incus"} server`);
    }
    if (remote.auth_type === "oidc") throw new Error(`${lxd ? "LXD" : "Incus"} remote "${name}" uses OIDC, which this provider does not support`);
    addr = remote.addr;
    remoteProject = remote.project;
    remoteName = name;
  }

  if (addr.startsWith("unix:")) return withProject(unixFromAddr(addr, env, settings.uid, settings.server), remoteProject);

  const dir = cli().dir;
  const endpoint: HttpsEndpoint = {
    kind: "https",
    url: addr.replace(/\/+$/, ""),
    clientCert: settings.clientCert ?? readOptional(path.join(dir, "client.crt")),
    clientKey: settings.clientKey ?? readOptional(path.join(dir, "client.key")),
    serverCert: settings.serverCert ?? (remoteName ? readOptional(serverCertPath(cli(), remoteName)) : undefined),
    ca: settings.ca ?? readOptional(path.join(dir, "client.ca")),
    defaultProject: "default",
    remote: remoteName,
  };
  return withProject(endpoint, remoteProject);
}
