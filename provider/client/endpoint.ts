// Where the client connects: the unix-socket lookup of the `incus` CLI (reference §1.1), or an HTTPS remote.
import * as fs from "node:fs";
import * as path from "node:path";

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
}

export type Endpoint = UnixEndpoint | HttpsEndpoint;

export function endpointKey(e: Endpoint): string {
  return e.kind === "unix" ? `unix:${e.socketPath}` : `https:${e.url}:${e.clientCert ?? ""}:${e.serverCert ?? e.ca ?? ""}`;
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

/**
 * The socket the `incus` CLI would use: an explicit path, then INCUS_SOCKET, INCUS_DIR/unix.socket,
 * /run/incus/unix.socket when it exists, /var/lib/incus/unix.socket; then, when that socket is not writable but
 * `unix.socket.user` beside it is, the incus-user socket with project `user-<uid>`.
 */
export function resolveUnixEndpoint(
  explicitSocket?: string,
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? 0,
): UnixEndpoint {
  let socketPath: string;
  if (explicitSocket) socketPath = explicitSocket;
  else if (env.INCUS_SOCKET) socketPath = env.INCUS_SOCKET;
  else if (env.INCUS_DIR) socketPath = path.join(env.INCUS_DIR, "unix.socket");
  else if (exists("/run/incus/unix.socket")) socketPath = "/run/incus/unix.socket";
  else socketPath = "/var/lib/incus/unix.socket";

  if (!explicitSocket && !env.INCUS_SOCKET && !writable(socketPath)) {
    const userSocket = path.join(path.dirname(socketPath), "unix.socket.user");
    if (writable(userSocket)) return { kind: "unix", socketPath: userSocket, defaultProject: `user-${uid}` };
  }
  return { kind: "unix", socketPath, defaultProject: "default" };
}
