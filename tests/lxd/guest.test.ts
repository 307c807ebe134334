// The SDK's guest API client (sdk/guest.ts) inside a container of a private LXD 5.0.2 (tests/lxd/daemon.ts), where
// there is no /dev/incus/sock: `new GuestClient()` must find LXD's /dev/lxd/sock by itself (security.devlxd, on by
// default in LXD) and read the instance's view through it: /1.0, config keys, devices, meta-data and events. LXD
// 5.0.2 has no guest Ready state (it accepts the PATCH and ignores it), so setReady() must fail saying so.
// As tests/integration/guest.test.ts on Incus: the Debian test image, the host's Node and this package's build
// (dist/) mounted read-only into the container.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RUN } from "../faults/daemon";
import { cli } from "../integration/kinds-harness";
import { lxdDaemon } from "./daemon";

jest.setTimeout(300_000);
const REPO = path.resolve(__dirname, "..", "..");
const TOOLS = process.env.PULUMI_INCUS_TOOLS ?? path.join(os.homedir(), ".cache", "pulumi-incus");
const DEBIAN = path.join(TOOLS, "images", "debian-bookworm-v2.tar.gz");
const lxd = lxdDaemon("pi-lxd2-guest");
const { query, incus } = cli(lxd.dir);
// Instance names are global to the host's cgroups: unique per run.
const g = `lxd-guest-${RUN}`;

const script = `
const { GuestClient } = require("/opt/pkg/dist/sdk/guest.js");
(async () => {
  const g = new GuestClient();
  const out = { socketPath: g.socketPath, info: await g.info(), config: await g.configMap(), missing: await g.config("user.nope"),
    devices: Object.keys(await g.devices()).sort(), metaData: await g.metaData() };
  console.log("STATIC " + JSON.stringify(out));
  const seen = await new Promise((resolve, reject) => {
    const stream = g.events((e) => { if (e.type === "config") { stream.close(); resolve(e); } }, ["config"]);
    stream.ready.then(() => console.log("LISTENING"), reject);
    setTimeout(() => reject(new Error("no event within 20 s")), 20000).unref();
  });
  console.log("EVENT " + JSON.stringify(seen));
  const ready = await g.setReady().then(() => "no error", (e) => e.message);
  console.log("READY " + JSON.stringify(ready));
})().catch((e) => { console.error("FAILED " + e.message); process.exit(1); });
`;

beforeAll(async () => {
  if (!fs.existsSync(path.join(REPO, "dist", "sdk", "guest.js"))) throw new Error("dist/sdk/guest.js is missing: build first (npx tsc -p tsconfig.json)");
  if (!fs.existsSync(DEBIAN)) throw new Error(`${DEBIAN} is missing: run scripts/setup-image.sh`);
  await lxd.create();
  incus("image", "import", DEBIAN, "--alias", "debian");
}, 180_000);
afterAll(async () => {
  if (query(`/1.0/instances/${g}`)) incus("delete", "--force", g);
  await lxd.destroy();
}, 120_000);

test("GuestClient in an LXD container: finds /dev/lxd/sock by itself; /1.0, config, devices, meta-data, events; no Ready state", async () => {
  const nodeDir = path.dirname(fs.realpathSync(process.execPath));
  incus("init", "debian", g, "-c", "user.greeting=hello", "-c", "cloud-init.user-data=#cloud-config");
  incus("config", "device", "add", g, "node", "disk", `source=${nodeDir}`, "path=/opt/node", "readonly=true");
  incus("config", "device", "add", g, "pkg", "disk", `source=${REPO}`, "path=/opt/pkg", "readonly=true");
  incus("start", g);
  const file = path.join(os.tmpdir(), `pi-lxd2-guest-${RUN}.js`);
  fs.writeFileSync(file, script);
  incus("file", "push", file, `${g}/root/guest.js`);
  fs.rmSync(file);
  expect(query(`/1.0/instances/${g}`).config["security.devlxd"]).toBeUndefined(); // LXD's default: on

  const child = spawn("incus", ["exec", g, "--", "/opt/node/node", "/root/guest.js"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, INCUS_DIR: lxd.dir },
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("LISTENING")) resolve();
    });
    exited.then(() => reject(new Error(`guest script ended early: ${stdout} ${stderr}`)));
  });
  incus("config", "set", g, "user.greeting=changed");
  expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: "" });

  const line = (tag: string) =>
    JSON.parse(
      stdout
        .split("\n")
        .find((l) => l.startsWith(`${tag} `))!
        .slice(tag.length + 1),
    );
  const s = line("STATIC");
  expect(s.socketPath).toBe("/dev/lxd/sock");
  expect(s.info).toMatchObject({ api_version: "1.0", instance_type: "container" });
  expect(s.config).toMatchObject({ "user.greeting": "hello" });
  expect(s.missing).toBeUndefined();
  expect(s.devices).toEqual(expect.arrayContaining(["node", "pkg", "root"]));
  expect(s.metaData).toContain(`local-hostname: ${g}`);
  expect(line("EVENT")).toMatchObject({ type: "config", metadata: { key: "user.greeting", old_value: "hello", value: "changed" } });
  // LXD 5.0.2's guest API has no Ready state (no instance_ready_state): its answer, as a GuestApiError.
  // LXD 5.0.2's guest API has no instance state (GET /1.0 says `state: ""`, and a PATCH of it is accepted and
  // ignored): setReady() says so instead of returning as if the host had been told.
  expect(s.info.state).toBe("");
  expect(line("READY")).toBe(
    'setState("Ready"): the guest API on /dev/lxd/sock has no instance state (LXD has no Ready state; use a user.* key or a file instead)',
  );
  expect(query(`/1.0/instances/${g}`).status).toBe("Running");
});
