// A keep-alive connection the server closes just as the next request goes out on it ("other side closed", seen on
// a cluster member's HTTPS listener after ~30 s idle) must not fail a read: the GET is tried once more on a new
// connection, even with no reconnect wait configured. A write on such a connection is not retried (it may have
// arrived).
import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, IncusClient, type IncusError } from "../../provider/client";

let server: http.Server;
let socketPath: string;
const seen: string[] = [];

beforeAll(async () => {
  socketPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pi-stale-")), "s.sock");
  // Every connection answers its first request, then drops the connection when a second one arrives on it.
  const answered = new WeakSet<net.Socket>();
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (answered.has(req.socket)) {
      req.socket.destroy();
      return;
    }
    answered.add(req.socket);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "sync", status: "Success", status_code: 200, metadata: { n: seen.length } }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await closeAllPools();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(path.dirname(socketPath), { recursive: true, force: true });
});

/** Lets the pool take the answered connection back, so the next request goes out on it (as after an idle time). */
const idle = () => new Promise((resolve) => setTimeout(resolve, 50));

function client(): IncusClient {
  return new IncusClient({ kind: "unix", socketPath, defaultProject: "default" }, { reconnectTimeoutMs: 0, events: false });
}

test("a GET on a connection the server closed is tried once more on a new one", async () => {
  const c = client();
  seen.length = 0;
  await c.get("/1.0/a");
  await idle();
  const second = await c.get("/1.0/b");
  expect(second.value).toBeDefined();
  // the first try of /1.0/b died on the old connection, the second was answered on a new one
  expect(seen).toEqual(["GET /1.0/a", "GET /1.0/b", "GET /1.0/b"]);
});

test("a write on such a connection is not sent again", async () => {
  const c = client();
  await c.get("/1.0/c");
  await idle();
  seen.length = 0;
  const err = (await c.write("PUT", "/1.0/d", { body: { x: 1 } }).catch((e) => e)) as IncusError;
  expect(err.message).toMatch(/cannot reach Incus/);
  expect(seen).toEqual(["PUT /1.0/d"]);
});
