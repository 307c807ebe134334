// Connections: one keep-alive undici pool per endpoint for the process, and the TLS settings HTTPS requests and the
// events websocket share.
import { X509Certificate } from "node:crypto";
import type { ConnectionOptions, PeerCertificate } from "node:tls";
import { Pool } from "undici";
import { type Endpoint, endpointKey, type HttpsEndpoint } from "./endpoint";

/** The origin undici and ws see; on the unix socket the host part is ignored by Incus. */
export function originOf(endpoint: Endpoint): string {
  return endpoint.kind === "unix" ? "http://unix.socket" : endpoint.url;
}

/** The error code when the server shows a certificate other than the pinned one (but one the pin vouches for). */
/** The code of the client's own pin check failing (one of errors.ts TLS_VERIFY_CODES). */
export const PIN_MISMATCH = "ERR_INCUS_SERVER_CERT_MISMATCH";

/**
 * A pinned certificate is the only trust anchor and must equal the leaf exactly; its names are not checked, as the
 * incus CLI does not check them either (servers are reached by IP). A CA verifies the chain and the host name.
 */
export function tlsOptions(e: HttpsEndpoint): ConnectionOptions {
  const pinned = e.serverCert;
  if (!pinned) return { cert: e.clientCert, key: e.clientKey, ca: e.ca };
  const expected = new X509Certificate(pinned).fingerprint256;
  return {
    cert: e.clientCert,
    key: e.clientKey,
    ca: pinned,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      if (cert.fingerprint256 === expected) return undefined;
      return Object.assign(new Error(`server certificate ${cert.fingerprint256} is not the pinned ${expected}`), {
        code: PIN_MISMATCH,
      });
    },
  };
}

const pools = new Map<string, Pool>();

/** Connections of the endpoint's pool for ordinary requests, and of its pool for operation waits. */
const CONNECTIONS = 16;
const WAIT_CONNECTIONS = 256;

/**
 * The keep-alive pools of an endpoint, shared by every client in the process; idle sockets do not hold the process.
 * Operation waits (`operationWait`) have a pool of their own: hundreds of creates waiting by /wait (the events
 * stream down) would otherwise hold all 16 connections for 5 s at a time, and the reads of operations would queue
 * behind hundreds of creates' requests until the server had forgotten the operations (it keeps a finished one 5 s).
 */
export function poolFor(endpoint: Endpoint, wait = false): Pool {
  const key = `${endpointKey(endpoint)}${wait ? " wait" : ""}`;
  let pool = pools.get(key);
  if (!pool) {
    const common = { connections: wait ? WAIT_CONNECTIONS : CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000, allowH2: false };
    pool =
      endpoint.kind === "unix"
        ? new Pool(originOf(endpoint), { ...common, socketPath: endpoint.socketPath })
        : new Pool(originOf(endpoint), { ...common, connect: tlsOptions(endpoint) });
    pools.set(key, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
