// HTTPS with mutual TLS on 127.0.0.1: a trusted client certificate, the pinned server certificate, a wrong pin, an
// untrusted client, operations and events over wss, and the trust-token flow (addRemote, connect).
import * as fs from "node:fs";
import * as path from "node:path";
import {
  addRemote,
  certificateBase64Der,
  certificateFingerprint,
  closeAllPools,
  connect,
  generateClientCertificate,
  type HttpsEndpoint,
  IncusClient,
  IncusError,
  loadCliConfig,
  type Operation,
  resolveEndpoint,
  trustWithToken,
} from "../../provider/client";
import { httpsListener, type HttpsListener } from "../https-listener";
import { captureRequests, expectRejection, tempDir, unique } from "./client-helpers";

jest.setTimeout(30_000);

const local = new IncusClient();
const serverCert = fs.readFileSync("/var/lib/incus/server.crt", "utf8");
const trusted = generateClientCertificate({ commonName: "pulumi-incus-test" });
const stranger = generateClientCertificate({ commonName: "stranger" });
/** Fingerprints of every certificate this suite got trusted, removed at the end. */
const addedCerts: string[] = [];
let listener: HttpsListener;
let url: string;

function endpoint(over: Partial<HttpsEndpoint> = {}): HttpsEndpoint {
  return { kind: "https", url, clientCert: trusted.cert, clientKey: trusted.key, serverCert, defaultProject: "default", ...over };
}

/** A trust token the way `incus config trust add` makes one: the token operation's metadata, base64 JSON. */
async function issueToken(name: string): Promise<{ token: string; operation: Operation }> {
  const res = await local.request("POST", "/1.0/certificates", { project: null, body: { name, type: "client", token: true } });
  const op = res.operation!;
  const meta = op.metadata as { fingerprint: string; addresses: string[]; secret: string };
  const token = Buffer.from(
    JSON.stringify({ client_name: name, fingerprint: meta.fingerprint, addresses: meta.addresses, secret: meta.secret, expires_at: "0001-01-01T00:00:00Z" }),
  ).toString("base64");
  return { token, operation: op };
}

beforeAll(async () => {
  listener = await httpsListener(local);
  url = listener.url;
  await local.post(
    "/1.0/certificates",
    { name: unique("pulumi-incus-test"), type: "client", certificate: certificateBase64Der(trusted.cert) },
    { project: null },
  );
  addedCerts.push(certificateFingerprint(trusted.cert));
});

afterAll(async () => {
  for (const fp of addedCerts) await local.delete(`/1.0/certificates/${fp}`, { project: null }).catch(() => undefined);
  await listener?.release();
  await closeAllPools();
});

describe("mutual TLS", () => {
  test("a trusted client certificate and the pinned server certificate", async () => {
    const client = new IncusClient(endpoint());
    const server = await client.server();
    expect(server.auth).toBe("trusted");
    expect(server.auth_user_method).toBe("tls");
    expect(server.auth_user_name).toBe(certificateFingerprint(trusted.cert));
    const projects = await client.list<{ name: string }>("/1.0/projects", { project: null });
    expect(projects.map((p) => p.name)).toContain("default");
  });

  test("a wrong pin is refused before any request is sent", async () => {
    const client = new IncusClient(endpoint({ serverCert: generateClientCertificate().cert }));
    const err = (await expectRejection(client.server())) as IncusError;
    expect(err).toBeInstanceOf(IncusError);
    expect(err.isUnreachable).toBe(true);
    expect(err.message).toMatch(/^GET \/1\.0: cannot reach Incus at https:\/\/127\.0\.0\.1:\d+: /);
    expect(err.hint).toMatch(/not the pinned one/);
  });

  test("no pin and no CA: the self-signed server certificate is not trusted", async () => {
    const err = (await expectRejection(new IncusClient(endpoint({ serverCert: undefined })).server())) as IncusError;
    expect(err.isUnreachable).toBe(true);
    expect(err.hint).toMatch(/not trusted; pin it/);
  });

  test("an untrusted client gets a clear error", async () => {
    const client = new IncusClient(endpoint({ clientCert: stranger.cert, clientKey: stranger.key }));
    expect((await client.server()).auth).toBe("untrusted");
    const err = (await expectRejection(client.list("/1.0/projects", { project: null }))) as IncusError;
    expect(err.status).toBe(403);
    expect(err.incusMessage).toBe("not authorized");
    expect(err.message).toMatch(/not authorized \(HTTP 403\)\. This client's certificate is not trusted by the server/);
  });
});

describe("operations over HTTPS", () => {
  // A trust token's operation runs until the token is used: a long-running, cancellable operation.
  test("a timeout gives a 408 on the events stream and through /wait; the operation goes on", async () => {
    const client = new IncusClient(endpoint());
    const polling = new IncusClient(endpoint(), { events: false });
    const { operation } = await issueToken(unique("timeout"));
    const log = captureRequests();
    try {
      const viaEvents = (await expectRejection(client.waitOperation(operation.id, { timeoutMs: 300 }))) as IncusError;
      expect(viaEvents.isTimeout).toBe(true);
      expect(viaEvents.incusMessage).toBe(`operation ${operation.id} did not finish within 300 ms`);
      expect(log.lines()).toContain("GET /1.0/events?type=operation,lifecycle&all-projects=true");
      expect(log.lines().some((l) => l.includes("/wait"))).toBe(false);

      const viaWait = (await expectRejection(polling.waitOperation(operation.id, { timeoutMs: 1000 }))) as IncusError;
      expect(viaWait.isTimeout).toBe(true);
      expect(log.lines()).toContain(`GET /1.0/operations/${operation.id}/wait?timeout=1`);
    } finally {
      log.stop();
    }
    expect((await local.getOperation(operation.id)).status).toBe("Running");
    await local.delete(`/1.0/operations/${operation.id}`, { project: null });
  });

  test.each([
    ["events", true],
    ["/wait", false],
  ])("an abort cancels the operation on the server (%s)", async (_how, events) => {
    const client = new IncusClient(endpoint(), { events });
    const { operation } = await issueToken(unique("abort"));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stop waiting")), 200);
    const err = await expectRejection(client.waitOperation(operation.id, { signal: controller.signal }));
    expect(err.message).toBe("stop waiting");
    const after = await local.getOperation(operation.id);
    expect(after.status).toBe("Cancelled");
  });

  test("lifecycle events arrive over wss", async () => {
    const client = new IncusClient(endpoint());
    const actions: string[] = [];
    const unsubscribe = client.subscribe({ types: ["lifecycle"], project: "default" }, (e) => actions.push(String(e.metadata?.action)));
    try {
      await unsubscribe.ready;
      const name = unique("wss");
      await local.post("/1.0/profiles", { name }, { project: "default" });
      await local.delete(`/1.0/profiles/${name}`, { project: "default" });
      for (let i = 0; i < 100 && !actions.includes("profile-deleted"); i++) await new Promise((r) => setTimeout(r, 20));
      expect(actions).toEqual(expect.arrayContaining(["profile-created", "profile-deleted"]));
    } finally {
      unsubscribe();
    }
  });
});

describe("trust tokens", () => {
  test("addRemote: a generated certificate gets trusted and the remote is saved like `incus remote add`", async () => {
    const dir = path.join(tempDir("tokenconf"), "incus");
    const name = unique("tok");
    const { token, operation } = await issueToken(name);
    const used = local.waitOperation(operation.id);

    const ep = await addRemote("lab", token, { configDir: dir, project: "default" });
    const clientCert = fs.readFileSync(path.join(dir, "client.crt"), "utf8");
    addedCerts.push(certificateFingerprint(clientCert));
    // The server ends a token's operation by cancelling it once the token is used.
    expect(await expectRejection(used)).toMatchObject({ status: 401, incusMessage: "Cancelled" });
    expect(fs.statSync(path.join(dir, "client.key")).mode & 0o777).toBe(0o600);
    expect(ep).toMatchObject({ kind: "https", url, remote: "lab", clientCert });
    expect(certificateFingerprint(ep.serverCert!)).toBe(certificateFingerprint(serverCert));

    expect(loadCliConfig(dir, {}).remotes.lab).toEqual({ addr: url, project: "default", protocol: "incus", public: false });
    const pinned = fs.readFileSync(path.join(dir, "servercerts", "lab.crt"), "utf8");
    expect(certificateFingerprint(pinned)).toBe(certificateFingerprint(serverCert));

    const client = new IncusClient(resolveEndpoint({ remote: "lab", configDir: dir, env: {} }));
    expect((await client.server()).auth).toBe("trusted");
    const entry = await local.get<{ name: string; type: string }>(`/1.0/certificates/${certificateFingerprint(clientCert)}`, { project: null });
    expect(entry.value).toMatchObject({ name, type: "client" });

    // A token works once.
    const again = await expectRejection(trustWithToken(token, { clientCert: stranger.cert, clientKey: stranger.key }));
    expect(again).toBeInstanceOf(IncusError);
    expect((again as IncusError).status).toBe(403);
  });

  test("connect() adds a missing remote from a token, then reuses it without the token's help", async () => {
    const dir = tempDir("connectconf");
    const { token } = await issueToken(unique("conn"));
    const first = await connect({ remote: "home", configDir: dir, trustToken: token, env: {} });
    addedCerts.push(certificateFingerprint(fs.readFileSync(path.join(dir, "client.crt"), "utf8")));
    expect(first.endpoint).toMatchObject({ kind: "https", url, remote: "home" });
    expect((await first.server()).auth).toBe("trusted");

    // The token is spent; the saved remote and the trusted certificate are what count now.
    const second = await connect({ remote: "home", configDir: dir, trustToken: token, env: {} });
    expect((await second.server()).auth).toBe("trusted");
  });

  test("a token for another server is refused before anything is sent", async () => {
    const fake = Buffer.from(
      JSON.stringify({ client_name: "x", fingerprint: "00".repeat(32), addresses: [url.replace("https://", "")], secret: "s" }),
    ).toString("base64");
    const err = await expectRejection(trustWithToken(fake, { clientCert: stranger.cert, clientKey: stranger.key }));
    expect(err.message).toMatch(/presents certificate [0-9a-f]{64}, not 0{64} as the token says/);
  });
});
