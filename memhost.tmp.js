const before = process.memoryUsage().rss;
const t0 = Date.now();
require("@pulumi/pulumi/cmd/dynamic-provider/index.js");
setTimeout(() => {
  const files = Object.keys(require.cache);
  const big = {};
  for (const f of files) { const m = f.match(/node_modules\/((@[^/]+\/)?[^/]+)/); if (m) big[m[1]] = (big[m[1]] || 0) + 1; }
  console.log("host loaded in", Date.now() - t0, "ms; modules", files.length, "rss", (process.memoryUsage().rss / 1048576).toFixed(0), "MiB; heapUsed", (process.memoryUsage().heapUsed / 1048576).toFixed(0));
  console.log(Object.entries(big).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}:${v}`).join(" "));
  process.exit(0);
}, 500);
