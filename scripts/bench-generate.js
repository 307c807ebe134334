#!/usr/bin/env node
// The generator on a large project (issue 27's figure): a project populated through the REST client with
// BENCH_GEN_PROFILES profiles (config and a device each), BENCH_GEN_VOLUMES custom volumes and BENCH_GEN_INSTANCES
// stopped busybox containers (each with the default profile and one of the others; the first half with a snapshot).
// It prints how long `pulumi-incus generate` takes for YAML and TypeScript and its peak memory, then the generated
// YAML program's first `pulumi up` (every object adopted), and a `pulumi preview --expect-no-changes`: their times
// and the requests they sent (PULUMI_INCUS_REQUEST_LOG), writes counted apart. Prints figures, asserts nothing.
// Uses its own project and a temporary file:// backend and removes both. Run after a build (npx tsc), with the
// YAML host on PATH (scripts/setup-yaml.sh): node scripts/bench-generate.js
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const REPO = path.resolve(__dirname, "..");
const { IncusClient, closeAllPools, deleteProjectAndContents } = require(path.join(REPO, "dist", "provider"));

const PROFILES = Number(process.env.BENCH_GEN_PROFILES ?? 200);
const VOLUMES = Number(process.env.BENCH_GEN_VOLUMES ?? 150);
const INSTANCES = Number(process.env.BENCH_GEN_INSTANCES ?? 40);
const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";
const P = `bgen${Date.now().toString(36).slice(-5)}`;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "pi-bench-generate-"));
const client = new IncusClient();
const opts = { project: P };

/** Runs `jobs` with at most `width` at a time. */
async function pool(jobs, width = 8) {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: width }, worker));
}

async function populate() {
  const features = { "features.profiles": "true", "features.storage.volumes": "true", "features.images": "false", "features.networks": "false" };
  await client.post("/1.0/projects", { name: P, config: features }, { project: null });
  await client.put("/1.0/profiles/default", { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } }, opts);
  const jobs = [];
  for (let i = 0; i < PROFILES; i++)
    jobs.push(() =>
      client.post(
        "/1.0/profiles",
        { name: `p${i}`, config: { "limits.cpu": "1", "user.role": `r${i}` }, devices: { tmp: { type: "disk", source: "/tmp", path: "/mnt/tmp" } } },
        opts,
      ),
    );
  for (let i = 0; i < VOLUMES; i++)
    jobs.push(() => client.post("/1.0/storage-pools/default/volumes/custom", { name: `v${i}`, config: { "user.n": `${i}` } }, opts));
  await pool(jobs);
  await pool(
    Array.from({ length: INSTANCES }, (_, i) => async () => {
      const body = { name: `c${P}-${i}`, source: { type: "image", alias: IMAGE }, profiles: ["default", `p${i % PROFILES}`], start: false };
      await client.post("/1.0/instances", body, opts);
      if (i < INSTANCES / 2) await client.post(`/1.0/instances/c${P}-${i}/snapshots`, { name: "s0" }, opts);
    }),
    4,
  );
}

const env = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${TMP}/state`,
  PULUMI_CONFIG_PASSPHRASE: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_INCUS_REQUEST_LOG: path.join(TMP, "requests.log"),
};

/** Runs a command; returns its wall time in seconds and, when asked, its peak RSS (MiB, GNU time). */
function timed(cmd, args, cwd) {
  const rss = path.join(TMP, "rss");
  const started = Date.now();
  execFileSync("/usr/bin/time", ["-f", "%M", "-o", rss, cmd, ...args], { cwd, env, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 });
  return { seconds: ((Date.now() - started) / 1000).toFixed(1), mib: (Number(fs.readFileSync(rss, "utf8").trim().split("\n").pop()) / 1024).toFixed(0) };
}

function requests() {
  const log = env.PULUMI_INCUS_REQUEST_LOG;
  const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  fs.rmSync(log, { force: true });
  return `${lines.length} requests, ${lines.filter((l) => !/^(GET|HEAD) /.test(l)).length} writes`;
}

async function main() {
  fs.mkdirSync(path.join(TMP, "state"));
  const t = Date.now();
  await populate();
  const objects = 1 + PROFILES + VOLUMES + INSTANCES + Math.ceil(INSTANCES / 2);
  console.log(
    `project ${P}: ${objects} objects (${PROFILES + 1} profiles, ${VOLUMES} volumes, ${INSTANCES} instances, ${Math.ceil(INSTANCES / 2)} snapshots), made in ${((Date.now() - t) / 1000).toFixed(1)} s`,
  );
  const cli = path.join(REPO, "dist", "provider", "generate", "cli.js");
  const yaml = path.join(TMP, "yaml");
  const plugin = path.join(REPO, "provider", "plugin", "incus");
  for (const language of ["yaml", "ts"]) {
    const out = path.join(TMP, language);
    const g = timed("node", [cli, "generate", "--project", P, "--language", language, "--out", out, "--plugin", plugin, "--stack", "bench"], TMP);
    console.log(`generate --language ${language}: ${g.seconds} s, peak RSS ${g.mib} MiB, ${requests()}`);
  }
  execFileSync("pulumi", ["stack", "init", "bench", "--non-interactive"], { cwd: yaml, env, stdio: "ignore" });
  const up = timed("pulumi", ["up", "--yes", "--non-interactive"], yaml);
  console.log(`generated YAML program, first up with its preview (adopts all): ${up.seconds} s, ${requests()}`);
  const preview = timed("pulumi", ["preview", "--expect-no-changes", "--non-interactive"], yaml);
  console.log(`preview --expect-no-changes: ${preview.seconds} s, ${requests()}`);
  execFileSync("pulumi", ["stack", "rm", "--force", "--yes", "--non-interactive"], { cwd: yaml, env, stdio: "ignore" });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    await deleteProjectAndContents(client, P).catch((err) => console.error(`cleanup of ${P}: ${err.message}`));
    await closeAllPools();
    fs.rmSync(TMP, { recursive: true, force: true });
  });
