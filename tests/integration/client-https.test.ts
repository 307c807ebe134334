// HTTPS with mutual TLS on 127.0.0.1: a trusted client certificate, the pinned server certificate, a wrong pin, an
// untrusted client, operations and events over wss.
import * as fs from "node:fs";
import { closeAllPools, type HttpsEndpoint, IncusClient, IncusError, type Operation } from "../../provider/client";
import { certificateBase64Der, certificateFingerprint, type ClientCertificate, generateClientCertificate } from "../certs";
import { httpsListener, type HttpsListener } from "../https-listener";
import { captureRequests, expectRejection, unique } from "./client-helpers";

jest.setTimeout(30_000);

const local = new IncusClient();
const serverCert = fs.readFileSync("/var/lib/incus/server.crt", "utf8");
let trusted: ClientCertificate;
let stranger: ClientCertificate;
/** Fingerprints of every certificate this suite got trusted, removed at the end. */
const addedCerts: string[] = [];
let listener: HttpsListener;
let url: string;

function endpoint(over: Partial<HttpsEndpoint> = {}): HttpsEndpoint {
  return { kind: "https", url, clientCert: trusted.cert, clientKey: trusted.key, serverCert, defaultProject: "default", ...over };
}

/** A pending trust-token operation (`incus config trust add`): an operation that runs until it is used or cancelled. */
async function issueToken(name: string): Promise<{ operation: Operation }> {
  const res = await local.request("POST", "/1.0/certificates", { project: null, body: { name, type: "client", token: true } });
  return { operation: res.operation! };
}

beforeAll(async () => {
  [trusted, stranger] = await Promise.all([
    generateClientCertificate({ commonName: "pulumi-incus-test" }),
    generateClientCertificate({ commonName: "stranger" }),
  ]);
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
    const client = new IncusClient(endpoint({ serverCert: (await generateClientCertificate()).cert }));
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
