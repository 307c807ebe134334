// A unix-socket proxy in front of a test daemon that makes every operation disappear the moment it ends, as Incus
// does ~5 s after the end when a loaded client asks later: a read or /wait of an operation that has ended answers
// 404 "Operation not found", and the events stream passes through without the events of ended operations (so no
// event tells the end either; the stream itself stays up, as it does when the daemon does not restart). Everything
// else is passed through unchanged. `gone` counts the 404s it made up, `droppedEvents` the events it held back.
// `linkDown` = n makes the next n reads of any operation answer what a cluster member answers while its event link to
// the member running the operation is being set up again: HTTP 500 "Missing event connection with target cluster
// member" (`linkDownAnswers` counts them).
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";

const OPERATION = /^\/1\.0\/operations\/[^/?]+(\/wait)?(\?|$)/;
const NOT_FOUND = JSON.stringify({ type: "error", status: "", status_code: 0, operation: "", error_code: 404, error: "Operation not found", metadata: null });
const LINK_DOWN = JSON.stringify({
  type: "error",
  status: "",
  status_code: 0,
  operation: "",
  error_code: 500,
  error: "Missing event connection with target cluster member",
  metadata: null,
});

export class OperationProxy {
  /** How many ended operations it answered 404 for. */
  gone = 0;
  /** How many events of ended operations it held back. */
  droppedEvents = 0;
  /** How many of the next operation reads answer 500 "Missing event connection with target cluster member". */
  linkDown = 0;
  /** How many such 500s it answered. */
  linkDownAnswers = 0;

  private constructor(
    readonly socket: string,
    private readonly server: http.Server,
  ) {}

  static async start(upstream: string, socket: string): Promise<OperationProxy> {
    fs.rmSync(socket, { force: true });
    const server = http.createServer();
    const proxy = new OperationProxy(socket, server);
    server.on("request", (req, res) => proxy.forward(upstream, req, res));
    server.on("upgrade", (req, conn: net.Socket, head: Buffer) => proxy.events(upstream, req, conn, head));
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
    return proxy;
  }

  private forward(upstream: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const watched = req.method === "GET" && OPERATION.test(req.url ?? "");
    if (watched && this.linkDown > 0) {
      this.linkDown--;
      this.linkDownAnswers++;
      req.resume();
      res.writeHead(500, { "content-type": "application/json" }).end(LINK_DOWN);
      return;
    }
    const out = http.request({ socketPath: upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (!watched) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on("data", (c: Buffer) => chunks.push(c));
      answer.on("end", () => {
        const body = Buffer.concat(chunks);
        let ended = false;
        try {
          const env = JSON.parse(body.toString("utf8"));
          ended = env.type === "sync" && typeof env.metadata?.status_code === "number" && env.metadata.status_code >= 200;
        } catch {
          // not JSON: pass it on
        }
        if (ended) {
          this.gone++;
          res.writeHead(404, { "content-type": "application/json" }).end(NOT_FOUND);
        } else {
          res.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
        }
      });
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  }

  /** The events websocket, passed through, with the server's frames filtered (they are unmasked and unfragmented). */
  private events(upstream: string, req: http.IncomingMessage, conn: net.Socket, head: Buffer): void {
    const up = net.connect(upstream);
    const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)];
    up.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length) up.write(head);
    conn.pipe(up);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    up.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        conn.write(buf.subarray(0, end + 4));
        buf = buf.subarray(end + 4);
        upgraded = true;
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) [len, at] = buf.length < 4 ? [-1, 0] : [buf.readUInt16BE(2), 4];
        else if (len === 127) [len, at] = buf.length < 10 ? [-1, 0] : [Number(buf.readBigUInt64BE(2)), 10];
        if (len < 0 || buf.length < at + len) return;
        const frame = buf.subarray(0, at + len);
        buf = buf.subarray(at + len);
        if ((frame[0] & 0x0f) === 1 && this.endedOperation(frame.subarray(at).toString("utf8"))) this.droppedEvents++;
        else conn.write(frame);
      }
    });
    const close = () => {
      up.destroy();
      conn.destroy();
    };
    up.on("error", close).on("close", close);
    conn.on("error", close).on("close", close);
  }

  private endedOperation(text: string): boolean {
    try {
      const event = JSON.parse(text);
      return event.type === "operation" && event.metadata?.status_code >= 200;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socket, { force: true });
  }
}
