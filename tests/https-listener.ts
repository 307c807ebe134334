// The daemon's HTTPS listener on 127.0.0.1 for tests that need it. core.https_address is one server-wide setting,
// so suites that run in parallel Jest workers take turns: a lock directory (mkdir is atomic) holds the PID of the
// suite that has it; a lock whose process is gone is taken over. The previous setting is restored on release.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { IncusClient } from "../provider/client";
import { alive, freePort } from "./host";

const LOCK = path.join(os.tmpdir(), "pulumi-incus-https-listener.lock");

interface ServerConfig {
  config: Record<string, string>;
}

async function lock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      fs.writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      return;
    } catch {
      const holder = Number(fs.readFileSync(path.join(LOCK, "pid"), { encoding: "utf8", flag: "a+" }) || 0);
      if (holder && !alive(holder)) fs.rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the HTTPS listener is still held by process ${holder}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function setAddress(client: IncusClient, address: string | undefined): Promise<void> {
  await client.update<ServerConfig>(
    "/1.0",
    (live) => {
      const config = { ...live.config };
      if (address === undefined) delete config["core.https_address"];
      else config["core.https_address"] = address;
      return { config };
    },
    { project: null },
  );
}

export interface HttpsListener {
  url: string;
  /** The daemon's certificate, to pin. */
  serverCert: string;
  release(): Promise<void>;
}

/** Makes the daemon listen on a free loopback port until release(). */
export async function httpsListener(local = new IncusClient()): Promise<HttpsListener> {
  await lock(180_000);
  try {
    const previous = (await local.get<ServerConfig>("/1.0", { project: null })).value.config["core.https_address"];
    const port = await freePort();
    await setAddress(local, `127.0.0.1:${port}`);
    return {
      url: `https://127.0.0.1:${port}`,
      serverCert: fs.readFileSync("/var/lib/incus/server.crt", "utf8"),
      async release() {
        try {
          await setAddress(local, previous);
        } finally {
          fs.rmSync(LOCK, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    fs.rmSync(LOCK, { recursive: true, force: true });
    throw err;
  }
}
