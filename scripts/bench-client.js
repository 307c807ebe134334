#!/usr/bin/env node
// What the REST client costs on top of the transport: the same GETs over the unix socket through IncusClient and
// through a bare undici Pool (same pool settings; the bare side reads and JSON-parses the body, the least any
// caller does). Prints requests per second, sequential and concurrent, and the client's overhead per request.
//
//   npx tsc -p . && node scripts/bench-client.js [requests=2000] [concurrency=8] [rounds=3]
//
// Bounded: rounds × 2 variants × 2 modes × 2 paths × `requests` GETs, nothing else; unix socket only.
const path = require("node:path");
const { Pool } = require("undici");
const { IncusClient, closeAllPools } = require(path.join(__dirname, "..", "dist", "provider", "client"));

const REQUESTS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 8);
const ROUNDS = Number(process.argv[4] ?? 3);
const PATHS = ["/1.0", "/1.0/projects/default"];

const client = new IncusClient();
if (client.endpoint.kind !== "unix") throw new Error("the benchmark runs over the unix socket only");
const bare = new Pool("http://unix.socket", {
  socketPath: client.endpoint.socketPath,
  connections: 16,
  pipelining: 1,
  keepAliveTimeout: 30_000,
});

const variants = {
  bare: async (p) => {
    const res = await bare.request({ method: "GET", path: p });
    JSON.parse(await res.body.text());
  },
  client: async (p) => {
    await client.get(p, { project: null });
  },
};

/** Runs `n` requests with `c` in flight; returns wall and CPU time per request in µs. */
async function measure(fn, p, n, c) {
  let issued = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (issued < n) {
        issued++;
        await fn(p);
      }
    }),
  );
  const wallUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const cpu = process.cpuUsage(cpu0);
  return { rps: (n / wallUs) * 1e6, cpuUs: (cpu.user + cpu.system) / n };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const server = await client.server();
  console.log(`Incus ${server.environment?.server_version} at ${client.endpoint.socketPath}; node ${process.version}`);
  console.log(`${REQUESTS} requests per run, median of ${ROUNDS} rounds; overhead = client − bare\n`);
  const header = ["path", "mode", "bare req/s", "client req/s", "bare CPU µs/req", "client CPU µs/req", "overhead CPU µs/req", "overhead wall µs/req"];
  const rows = [header];
  for (const p of PATHS) {
    for (const [mode, c] of [
      ["sequential", 1],
      [`concurrency ${CONCURRENCY}`, CONCURRENCY],
    ]) {
      // Warm both pools and the JIT before measuring.
      for (const fn of Object.values(variants)) await measure(fn, p, 200, c);
      const runs = { bare: [], client: [] };
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, fn] of Object.entries(variants)) runs[name].push(await measure(fn, p, REQUESTS, c));
      }
      const rps = (name) => median(runs[name].map((x) => x.rps));
      const cpu = (name) => median(runs[name].map((x) => x.cpuUs));
      const wallOverhead = 1e6 / rps("client") - 1e6 / rps("bare");
      rows.push([
        p,
        mode,
        rps("bare").toFixed(0),
        rps("client").toFixed(0),
        cpu("bare").toFixed(1),
        cpu("client").toFixed(1),
        (cpu("client") - cpu("bare")).toFixed(1),
        wallOverhead.toFixed(1),
      ]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await bare.close();
    await closeAllPools();
  });
