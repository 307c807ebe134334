// The SDK's guest API client (sdk/guest.ts), run for real inside a Debian container: the host's Node binary and
// this package (built, dist/) are mounted read-only into it, and a script there uses `GuestClient` on
// /dev/incus/sock: reads /1.0, config keys, devices and meta-data, follows /1.0/events while the host changes a
// user key, then reports Ready, which the host sees as the instance's status.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { dropProject, incus, query, queryWrite, rand } from "./kinds-harness";

const REPO = path.resolve(__dirname, "..", "..");
const project = `pit-guest-${rand()}`;
const q = `?project=${project}`;
jest.setTimeout(120_000);

const script = `
const { GuestClient } = require("/opt/pkg/dist/sdk/guest.js");
(async () => {
  const g = new GuestClient();
  const out = { info: await g.info(), keys: await g.configKeys(), config: await g.configMap(), missing: await g.config("user.nope"),
    devices: Object.keys(await g.devices()).sort(), metaData: await g.metaData() };
  console.log("STATIC " + JSON.stringify(out));
  const seen = await new Promise((resolve, reject) => {
    const stream = g.events((e) => { if (e.type === "config") { stream.close(); resolve(e); } }, ["config"]);
    stream.ready.then(() => console.log("LISTENING"), reject);
    setTimeout(() => reject(new Error("no event within 20 s")), 20000).unref();
  });
  console.log("EVENT " + JSON.stringify(seen));
  await g.setReady();
  console.log("STATE " + (await g.info()).state);
})().catch((e) => { console.error("FAILED " + e.message); process.exit(1); });
`;

beforeAll(() => {
  if (!fs.existsSync(path.join(REPO, "dist", "sdk", "guest.js"))) throw new Error("dist/sdk/guest.js is missing: build first (npx tsc -p tsconfig.json)");
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.images": "false", "features.profiles": "true" } });
  incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", project);
});
afterAll(() => dropProject(project));

test("GuestClient inside an instance: /1.0, config, devices, meta-data, events, Ready", async () => {
  const nodeDir = path.dirname(fs.realpathSync(process.execPath));
  incus("init", "pulumi-incus/debian", "g1", "--project", project, "-c", "user.greeting=hello", "-c", "cloud-init.user-data=#cloud-config");
  incus("config", "device", "add", "g1", "node", "disk", `source=${nodeDir}`, "path=/opt/node", "readonly=true", "--project", project);
  incus("config", "device", "add", "g1", "pkg", "disk", `source=${REPO}`, "path=/opt/pkg", "readonly=true", "--project", project);
  incus("start", "g1", "--project", project);
  fs.writeFileSync("/tmp/pit-guest-script.js", script);
  incus("file", "push", "/tmp/pit-guest-script.js", "g1/root/guest.js", "--project", project);
  expect(query(`/1.0/instances/g1${q}`).status).toBe("Running");

  const child = spawn("incus", ["exec", "g1", "--project", project, "--", "/opt/node/node", "/root/guest.js"], { stdio: ["ignore", "pipe", "pipe"] });
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
  incus("config", "set", "g1", "user.greeting=changed", "--project", project);
  expect(await exited).toBe(0);

  const line = (tag: string) =>
    JSON.parse(
      stdout
        .split("\n")
        .find((l) => l.startsWith(tag + " "))!
        .slice(tag.length + 1),
    );
  const s = line("STATIC");
  expect(s.info).toMatchObject({ api_version: "1.0", instance_type: "container", state: "Started" });
  expect(s.keys.sort()).toEqual(["cloud-init.user-data", "user.greeting"]);
  expect(s.config).toEqual({ "cloud-init.user-data": "#cloud-config", "user.greeting": "hello" });
  expect(s.missing).toBeUndefined();
  expect(s.devices).toEqual(["node", "pkg", "root"]);
  expect(s.metaData).toContain("local-hostname: g1");
  expect(line("EVENT")).toMatchObject({ type: "config", metadata: { key: "user.greeting", old_value: "hello", value: "changed" } });
  expect(stdout).toContain("STATE Ready");
  expect(query(`/1.0/instances/g1${q}`).status).toBe("Ready");
});
