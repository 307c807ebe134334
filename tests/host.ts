// Small questions the fixtures ask of this machine: a loopback port nobody listens on, and whether a PID still runs.
import * as fs from "node:fs";
import * as net from "node:net";

/** A loopback TCP port nobody listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether the process runs: a zombie (exited, not yet reaped) is dead; any user's process is seen (no signal sent). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
