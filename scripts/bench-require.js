// Program start: what `require("pulumi-incus")` costs a Pulumi program (time, modules, memory), against
// `require("@pulumi/pulumi")` alone, each in fresh Node processes. Prints figures; asserts nothing.
//   node scripts/bench-require.js [runs]   (after `npm run build`)
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const runs = Number(process.argv[2] ?? 10);
const root = path.resolve(__dirname, "..");
const probe = `
  const t0 = process.hrtime.bigint();
  require(process.argv[1]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const files = Object.keys(require.cache);
  const has = (n) => files.some((f) => f.includes("/node_modules/" + n + "/"));
  console.log(JSON.stringify({ ms, modules: files.length, rssMiB: process.memoryUsage().rss / 1048576,
    provider: ["undici", "ws", "yaml", "zod"].filter(has) }));`;

function measure(target) {
  const rows = [];
  for (let i = 0; i < runs; i++) rows.push(JSON.parse(execFileSync(process.execPath, ["-e", probe, target], { cwd: root, encoding: "utf8" })));
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  return { min: ms[0], median: ms[Math.floor(ms.length / 2)], modules: rows[0].modules, rssMiB: rows[0].rssMiB, provider: rows[0].provider };
}

for (const [label, target] of [
  ["@pulumi/pulumi alone", require.resolve("@pulumi/pulumi", { paths: [root] })],
  ["pulumi-incus (SDK)", path.join(root, "dist", "sdk", "index.js")],
]) {
  const r = measure(target);
  console.log(
    `${label.padEnd(22)} require: min ${r.min.toFixed(0)} ms, median ${r.median.toFixed(0)} ms over ${runs} runs; ` +
      `${r.modules} modules; rss ${r.rssMiB.toFixed(0)} MiB; provider libraries loaded: ${r.provider.join(", ") || "none"}`,
  );
}
