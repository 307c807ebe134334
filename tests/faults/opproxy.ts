// A unix-socket proxy in front of a test daemon that makes every operation disappear the moment it ends, as Incus
// does ~5 s after the end when a loaded client asks later: a read or /wait of an operation that has ended answers
// 404 "Operation not found", and the events stream is refused (so no event can tell the end either). Everything else
// is passed through unchanged. `gone` counts the 404s it made up.
import * as fs from "node:fs";
import * as http from "node:http";
import type { Socket } from "node:net";

const OPERATION = /^\/1\.0\/operations\/[^/?]+(\/wait)?(\?|$)/;
const NOT_FOUND = JSON.stringify({ type: "error", status: "", status_code: 0, operation: "", error_code: 404, error: "Operation not found", metadata: null });

export class OperationProxy {
  /** How many ended operations it answered 404 for. */
  gone = 0;
  /** How many events connections it refused. */
  refusedEvents = 0;

  private constructor(
    readonly socket: string,
    private readonly server: http.Server,
  ) {}

  static async start(upstream: string, socket: string): Promise<OperationProxy> {
    fs.rmSync(socket, { force: true });
    const server = http.createServer();
    const proxy = new OperationProxy(socket, server);
    server.on("request", (req, res) => proxy.forward(upstream, req, res));
    server.on("upgrade", (_req, conn: Socket) => {
      proxy.refusedEvents++;
      conn.end("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(socket, resolve));
    return proxy;
  }

  private forward(upstream: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const watched = req.method === "GET" && OPERATION.test(req.url ?? "");
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

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socket, { force: true });
  }
}
