// Getting a client certificate trusted with a one-time trust token (`incus config trust add` on the server, then
// `incus remote add <name> <token>` on the client), and connect(): provider settings in, a ready client out.
import { createHash } from "node:crypto";
import * as tls from "node:tls";
import { z } from "zod";
import { type ClientOptions, IncusClient } from "./client";
import { cliConfigDir, loadCliConfig, saveCliRemote } from "./cliconfig";
import { ensureClientCertificate } from "./certs";
import { type Endpoint, type EndpointSettings, type HttpsEndpoint, isRemoteAddress, resolveEndpoint } from "./endpoint";

const TrustTokenSchema = z.looseObject({
  client_name: z.string(),
  /** SHA-256 of the server's certificate: the token pins the server. */
  fingerprint: z.string(),
  addresses: z.array(z.string()),
  secret: z.string(),
  expires_at: z.string().optional(),
});
export type TrustToken = z.infer<typeof TrustTokenSchema>;

/** A token is base64 JSON; Go's zero time (year 1) means "never expires". */
export function decodeTrustToken(token: string): TrustToken {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token.trim(), "base64").toString("utf8"));
  } catch {
    throw new Error("not an Incus trust token (expected the base64 text `incus config trust add` prints)");
  }
  const parsed = TrustTokenSchema.safeParse(json);
  if (!parsed.success) throw new Error(`not an Incus trust token: ${parsed.error.issues[0].path.join(".")} is missing`);
  const expires = parsed.data.expires_at ? Date.parse(parsed.data.expires_at) : NaN;
  if (expires > 0 && expires < Date.now()) throw new Error(`the trust token expired at ${parsed.data.expires_at}`);
  return parsed.data;
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END CERTIFICATE-----\n`;
}

/**
 * Reads the certificate an HTTPS server presents, without trusting it; with `fingerprint` (SHA-256 hex), refuses
 * any other. Returns PEM.
 */
export function fetchServerCertificate(url: string, fingerprint?: string, timeoutMs = 5_000): Promise<string> {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port: Number(port || 8443), rejectUnauthorized: false });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS answer within ${timeoutMs} ms`)));
    socket.once("error", (err) => reject(new Error(`cannot read the certificate of ${url}: ${err.message}`)));
    socket.once("secureConnect", () => {
      const der = socket.getPeerCertificate().raw;
      socket.end();
      const actual = createHash("sha256").update(der).digest("hex");
      if (fingerprint && actual !== fingerprint.toLowerCase()) {
        reject(new Error(`the server at ${url} presents certificate ${actual}, not ${fingerprint} as the token says`));
      } else {
        resolve(toPem(der));
      }
    });
  });
}

export interface TrustOptions {
  /** PEM client certificate and key to get trusted. */
  clientCert: string;
  clientKey: string;
  /** The server to use; default: the first of the token's addresses that answers with the token's certificate. */
  url?: string;
  /** Project for the returned endpoint; default "default". */
  project?: string;
}

/**
 * Presents a trust token over HTTPS so the server trusts `clientCert` from now on (POST /1.0/certificates with
 * `trust_token`). The server's certificate is pinned by the token's fingerprint. Returns the endpoint to use.
 */
export async function trustWithToken(token: string, opts: TrustOptions): Promise<HttpsEndpoint> {
  const decoded = decodeTrustToken(token);
  const candidates = opts.url ? [opts.url] : decoded.addresses.map((a) => `https://${a}`);
  const failures: string[] = [];
  for (const url of candidates) {
    let serverCert: string;
    try {
      serverCert = await fetchServerCertificate(url, decoded.fingerprint);
    } catch (err) {
      failures.push((err as Error).message);
      continue;
    }
    const endpoint: HttpsEndpoint = {
      kind: "https",
      url,
      clientCert: opts.clientCert,
      clientKey: opts.clientKey,
      serverCert,
      defaultProject: opts.project ?? "default",
    };
    const client = new IncusClient(endpoint, { events: false });
    await client.request("POST", "/1.0/certificates", { project: null, body: { trust_token: token } });
    const { auth } = await client.server();
    if (auth !== "trusted") throw new Error(`${url} accepted the trust token but still calls this client "${auth}"`);
    return endpoint;
  }
  throw new Error(`no server named in the trust token could be reached: ${failures.join("; ")}`);
}

/**
 * `incus remote add <name> <token>`: trusts this client's certificate (generated in `configDir` when there is
 * none) and saves the remote and its pinned certificate in the CLI's config, where resolveEndpoint finds them.
 */
export async function addRemote(
  name: string,
  token: string,
  opts: { configDir?: string; project?: string; url?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<HttpsEndpoint> {
  const dir = opts.configDir ?? cliConfigDir(opts.env);
  const { cert, key } = ensureClientCertificate(dir);
  const endpoint = await trustWithToken(token, { clientCert: cert, clientKey: key, url: opts.url, project: opts.project });
  saveCliRemote(dir, name, { addr: endpoint.url, project: opts.project }, endpoint.serverCert!);
  return { ...endpoint, remote: name };
}

export interface ConnectSettings extends EndpointSettings {
  /**
   * A trust token for an HTTPS remote. When `remote` names a remote that config.yml lacks, it is added with the
   * token (as `incus remote add` would); when the client is not trusted yet, the token is presented.
   */
  trustToken?: string;
}

/** Resolves provider settings (see EndpointSettings), uses a trust token when one is given, returns a client. */
export async function connect(settings: ConnectSettings = {}, options?: ClientOptions): Promise<IncusClient> {
  const { trustToken, ...where } = settings;
  const env = settings.env ?? process.env;
  if (trustToken && where.remote && !where.socket && !isRemoteAddress(where.remote)) {
    const config = loadCliConfig(where.configDir, env);
    if (!config.remotes[where.remote]) {
      await addRemote(where.remote, trustToken, { configDir: config.dir, project: where.project, env });
    }
  }
  let endpoint: Endpoint = resolveEndpoint(where);
  if (trustToken && endpoint.kind === "https" && !(await isTrusted(endpoint))) {
    let { clientCert, clientKey } = endpoint;
    if (!clientCert || !clientKey) ({ cert: clientCert, key: clientKey } = ensureClientCertificate(where.configDir ?? cliConfigDir(env)));
    const trusted = await trustWithToken(trustToken, { clientCert, clientKey, url: endpoint.url });
    endpoint = { ...trusted, defaultProject: endpoint.defaultProject, remote: endpoint.remote };
  }
  return new IncusClient(endpoint, options);
}

async function isTrusted(endpoint: HttpsEndpoint): Promise<boolean> {
  if (!endpoint.serverCert || !endpoint.clientCert) return false;
  try {
    return (await new IncusClient(endpoint, { events: false }).server()).auth === "trusted";
  } catch {
    return false;
  }
}
