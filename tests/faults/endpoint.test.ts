// The connection itself failing under the client: the unix socket and the HTTPS listener going away and coming back
// (requests wait for them, bounded), an operation whose wait outlives the user's timeout, and the events websocket
// dropped in the middle of a wait (the wait falls back to /operations/{id}/wait and does not hang). Runs against a
// dedicated daemon (daemon.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { closeAllPools, IncusClient, type IncusError } from "pulumi-incus/provider";
import { hubFor } from "../../provider/client/events";
import { generateClientCertificate } from "../certs";
import { FaultDaemon, RUN, TEST_IMAGE_ALIAS } from "./daemon";
import { freePort } from "../host";

jest.setTimeout(300_000);

const daemon = new FaultDaemon("endpoint");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const C = `ep${RUN}`;

beforeAll(async () => {
  await daemon.create();
  await daemon.client().post("/1.0/instances", { name: C, source: { type: "image", alias: TEST_IMAGE_ALIAS }, start: true }, { project: null });
});

afterAll(async () => {
  await daemon.destroy();
});

test("the unix socket goes away and comes back: a request waits for it (reconnectTimeout), then goes through", async () => {
  const waiting = new IncusClient({ kind: "unix", socketPath: daemon.socket, defaultProject: "default" }, { reconnectTimeoutMs: 30_000 });
  const failing = new IncusClient({ kind: "unix", socketPath: daemon.socket, defaultProject: "default" });
  // Only a daemon that has answered is waited for when it goes away.
  await waiting.server();
  await daemon.kill();
  // Both clients share one pool; its keep-alive connection to the killed daemon is dropped, so the write below meets
  // the missing daemon itself (a write on a stale kept-alive connection is "outcome unknown", not "never sent").
  await closeAllPools();
  const started = Date.now();
  let answer: Promise<unknown>;
  let refused: IncusError;
  try {
    answer = waiting.get<{ name: string }>(`/1.0/instances/${C}`, { project: null }).then(
      (r) => r.value.name,
      (e) => e,
    );
    await sleep(200);
    refused = (await failing.request("POST", "/1.0/profiles", { project: null, body: { name: "never" } }).catch((e) => e)) as IncusError;
    await sleep(1300);
  } finally {
    await daemon.start();
  }
  // Without a reconnect wait: at once, a clear error that says the write was never sent.
  expect({ unreachable: refused.isUnreachable, notSent: refused.notSent, outcomeUnknown: refused.outcomeUnknown, code: refused.networkCode }).toEqual({
    unreachable: true,
    notSent: true,
    outcomeUnknown: false,
    code: expect.stringMatching(/^(ENOENT|ECONNREFUSED)$/),
  });
  expect(refused.message).toMatch(/cannot reach Incus at socket .*does not appear to be running/);
  expect(await answer).toBe(C);
  expect(Date.now() - started).toBeGreaterThan(1500);
  expect(daemon.query("/1.0/profiles/never")).toBeNull();
});

test("the HTTPS listener goes away and comes back: the request waits for it, then goes through", async () => {
  const cert = await generateClientCertificate({ commonName: "faults" });
  const certFile = path.join(daemon.dir, "faults-client.crt");
  fs.writeFileSync(certFile, cert.cert);
  daemon.incus("config", "trust", "add-certificate", certFile);
  const port = await freePort();
  daemon.incus("config", "set", "core.https_address", `127.0.0.1:${port}`);
  const endpoint = {
    kind: "https" as const,
    url: `https://127.0.0.1:${port}`,
    clientCert: cert.cert,
    clientKey: cert.key,
    serverCert: fs.readFileSync(path.join(daemon.dir, "server.crt"), "utf8"),
    defaultProject: "default",
  };
  const client = new IncusClient(endpoint, { reconnectTimeoutMs: 30_000 });
  expect((await client.server()).auth).toBe("trusted");
  daemon.incus("config", "unset", "core.https_address");
  const answer = client.get<{ name: string }>(`/1.0/instances/${C}`, { project: null });
  await sleep(1500);
  daemon.incus("config", "set", "core.https_address", `127.0.0.1:${port}`);
  expect((await answer).value.name).toBe(C);
  daemon.incus("config", "unset", "core.https_address");
});

test("an operation that does not finish in time: a 408 naming it, and its outcome marked unknown", async () => {
  const client = new IncusClient({ kind: "unix", socketPath: daemon.socket, defaultProject: "default" }, { operationTimeoutMs: 1500 });
  const started = Date.now();
  const err = (await client
    .post(`/1.0/instances/${C}/exec`, { command: ["sleep", "5"], "wait-for-websocket": false, interactive: false }, { project: null })
    .catch((e) => e)) as IncusError;
  expect(err.isTimeout).toBe(true);
  expect(err.message).toMatch(/did not finish within 1500 ms/);
  expect(err.outcomeUnknown).toBe(true);
  expect(Date.now() - started).toBeLessThan(5000);
});

test("the events websocket drops in the middle of a wait: it falls back to /wait and returns the result", async () => {
  const client = new IncusClient({ kind: "unix", socketPath: daemon.socket, defaultProject: "default" });
  const res = await client.request<unknown>("POST", `/1.0/instances/${C}/exec`, {
    project: null,
    body: { command: ["sleep", "3"], "wait-for-websocket": false, interactive: false },
  });
  const started = Date.now();
  const waited = client.waitOperation(res.operation!.id);
  await sleep(800);
  // Cut the connection under the hub, as a network drop or a proxy timeout would.
  const ws = (hubFor(client.endpoint) as unknown as { ws?: { terminate(): void } }).ws;
  expect(ws).toBeDefined();
  ws!.terminate();
  const op = await waited;
  expect(op.status_code).toBe(200);
  const seconds = (Date.now() - started) / 1000;
  expect(seconds).toBeGreaterThan(1.5);
  expect(seconds).toBeLessThan(15);
});
