// Where LXD 5.0.2 differs from Incus, against a private LXD (tests/lxd/daemon.ts): each difference handled where it
// belongs, and what LXD lacks refused at preview with nothing sent.
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { engineFor, type KindName } from "pulumi-incus/provider";
import { CONFIG_KEY_EXTENSIONS } from "../../provider/engine/generated/configKeys";
import { incusPlugin } from "../../provider/plugin/provider";
import { RUN, TEST_IMAGE_ALIAS } from "../faults/daemon";
import { closeConnections, cli, requestLog, Resource } from "../integration/kinds-harness";
import { lxdDaemon } from "./daemon";

jest.setTimeout(300_000);
const lxd = lxdDaemon("diff", { image: true });
const { query, incus } = cli(lxd.dir);
const log = requestLog();
// Instance names are global to the host's cgroups: unique per run.
const name = (what: string) => `lxd-${what}-${RUN}`;
const on = (args: Record<string, unknown>) => ({ ...args, socket: lxd.socket });
const made: string[] = [];

beforeAll(() => lxd.create(), 120_000);
afterAll(async () => {
  log.restore();
  for (const n of made) if (query(`/1.0/instances/${n}`)) incus("delete", "--force", n);
  await closeConnections();
  await lxd.destroy();
}, 120_000);

it("the server is read once per connection: GET /1.0 says LXD and its extensions", async () => {
  log.take();
  const r = new Resource("Instance", on({ name: name("once"), image: TEST_IMAGE_ALIAS, waitFor: { running: {} } }));
  await r.check();
  await r.check();
  await new Resource("Profile", on({ name: name("p"), config: { "security.devlxd": "false" } })).check();
  expect(log.take().filter((l) => l === "GET /1.0")).toEqual(["GET /1.0"]);
});

it("an instance is started after its create: LXD ignores `start` in the create request", async () => {
  const n = name("start");
  made.push(n);
  const r = new Resource("Instance", on({ name: n, image: TEST_IMAGE_ALIAS }));
  log.take();
  await r.create();
  expect(query(`/1.0/instances/${n}`).status).toBe("Running");
  expect(r.state.status).toBe("Running");
  // The start is the create step's own next request (the engine's later check of the running state has nothing left
  // to do); the events stream and operation waits aside.
  const sent = log.take().filter((l) => !/^GET \/1\.0\/(events|operations)/.test(l));
  expect(sent.slice(sent.indexOf("POST /1.0/instances"), sent.indexOf("POST /1.0/instances") + 2)).toEqual([
    "POST /1.0/instances",
    `PUT /1.0/instances/${n}/state`,
  ]);
  await r.delete();
  log.take();
  // `running: false` sends no start at all.
  const stopped = new Resource("Instance", on({ name: n, image: TEST_IMAGE_ALIAS, running: false }));
  await stopped.create();
  expect(query(`/1.0/instances/${n}`).status).toBe("Stopped");
  expect(log.takeWrites()).toEqual(["POST /1.0/instances"]);
  await stopped.delete();
});

it("the guest API key is LXD's `security.devlxd`: Incus's `security.guestapi` is refused at preview", async () => {
  const n = name("guest");
  log.take();
  const wrong = await new Resource("Instance", on({ name: n, image: TEST_IMAGE_ALIAS, config: { "security.guestapi": "false" } })).check().catch((e) => e);
  expect(String(wrong)).toContain('config["security.guestapi"]: LXD 5.0.2 names the guest API key `security.devlxd`');
  const profile = await new Resource("Profile", on({ name: n, config: { "security.guestapi.images": "true" } })).check().catch((e) => e);
  expect(String(profile)).toContain("`security.devlxd.images`");
  expect(log.takeWrites()).toEqual([]);
  made.push(n);
  const right = new Resource("Instance", on({ name: n, image: TEST_IMAGE_ALIAS, running: false, config: { "security.devlxd": "false" } }));
  await right.create();
  expect(query(`/1.0/instances/${n}`).config["security.devlxd"]).toBe("false");
  await right.delete();
});

it("LXD's X-LXD-* file headers: a pushed file gets its mode and owner, and the next diff finds nothing to do", async () => {
  const n = name("files");
  made.push(n);
  const r = new Resource(
    "Instance",
    on({ name: n, image: TEST_IMAGE_ALIAS, files: { "/etc/app.conf": { content: "x=1\n", mode: "0640", uid: 12, gid: 34 } } }),
  );
  await r.create();
  expect(incus("exec", n, "--", "stat", "-c", "%a %u %g", "/etc/app.conf").trim()).toBe("640 12 34");
  log.take();
  expect(await r.diff()).toEqual({ changes: false });
  expect(log.takeWrites().filter((l) => !l.startsWith("HEAD "))).toEqual([]);
  await r.delete();
});

it("a wait for the guest's Ready is refused at preview (no instance_ready_state), with nothing sent", async () => {
  log.take();
  const err = await new Resource("Instance", on({ name: name("ready"), image: TEST_IMAGE_ALIAS, waitFor: { ready: { timeout: 30 } } })).check().catch((e) => e);
  expect(String(err)).toContain("(waitFor.ready) waitFor.ready: LXD 5.0.2 has no guest Ready state (waits for `ready`) (API extension instance_ready_state)");
  expect(log.take().filter((l) => l !== "GET /1.0")).toEqual([]);
});

it("network zones live in the default project only (no projects_networks_zones)", async () => {
  const err = await new Resource("NetworkZone", on({ name: `${RUN}.example.internal`, project: "lab" })).check().catch((e) => e);
  expect(String(err)).toContain("project: LXD 5.0.2 has no network zones in projects (API extension projects_networks_zones)");
});

it("no storage buckets: the kind is refused at preview, naming the server and the extension", async () => {
  log.take();
  const err = await new Resource("StorageBucket", on({ name: "lxd-bucket", pool: "default" })).check().catch((e) => e);
  expect((err as Error).message).toBe('StorageBucket "lxd-bucket": LXD 5.0.2 has no storage buckets (API extension storage_buckets)');
  expect(log.take().filter((l) => l !== "GET /1.0")).toEqual([]);
  // What LXD itself answers, for the record: the path does not exist.
  expect(query("/1.0/storage-pools/default/buckets")).toBeUndefined();
});

it("lookups of what LXD lacks answer as the preview does, naming the lookup (TypeScript SDK, plugin Invoke, Kind.get)", async () => {
  const why = "LXD 5.0.2 has no storage buckets (API extension storage_buckets)";
  log.take();
  await expect(engineFor("StorageBucket").lookup({ name: "bkt", pool: "default", socket: lxd.socket })).rejects.toThrow(`getStorageBucket: ${why}`);
  await expect(engineFor("StorageBucketKey").lookup({ name: "k", pool: "default", bucket: "bkt", socket: lxd.socket })).rejects.toThrow(
    `getStorageBucketKey: ${why}`,
  );
  await expect(
    engineFor("StorageBucket").read("/1.0/storage-pools/default/buckets/bkt?project=default", { socket: lxd.socket, __readById: true }),
  ).rejects.toThrow(`StorageBucket.get: ${why}`);
  const plugin = incusPlugin("0.0.0-test");
  await expect(plugin.invoke!("incus:index:getStorageBucket", { name: "bkt", pool: "default", socket: lxd.socket })).rejects.toThrow(
    `getStorageBucket: ${why}`,
  );
  await expect(plugin.invoke!("incus:index:getNetworkZone", { name: "z.example.internal", project: "lab", socket: lxd.socket })).rejects.toThrow(
    "getNetworkZone: project: LXD 5.0.2 has no network zones in projects (API extension projects_networks_zones)",
  );
  expect(log.take().filter((l) => l !== "GET /1.0")).toEqual([]);
});

it("Incus-only config keys are refused at preview, naming field, key, server and extension (and what to use instead), with only GET /1.0 sent", async () => {
  const refusal = async (kind: KindName, args: Record<string, unknown>) => String(await new Resource(kind, on(args)).check().catch((e) => e));
  log.take();
  expect(await refusal("Project", { name: name("pk"), config: { "features.images": "true", "features.storage.buckets": "true" } })).toContain(
    'config["features.storage.buckets"]: LXD 5.0.2 has no project config key `features.storage.buckets` (API extension storage_buckets)',
  );
  expect(await refusal("Project", { name: name("pk"), config: { "limits.disk.pool.default": "1GiB" } })).toContain(
    "`limits.disk.pool.default` (API extension projects_limits_disk_pool); use `limits.disk` (one limit for all pools) instead",
  );
  expect(await refusal("Instance", { name: name("ik"), image: TEST_IMAGE_ALIAS, config: { "boot.autorestart": "true" } })).toContain(
    'config["boot.autorestart"]: LXD 5.0.2 has no instance config key `boot.autorestart` (API extension instance_auto_restart)',
  );
  expect(await refusal("Profile", { name: name("pk"), config: { "limits.cpu.nodes": "0" } })).toContain(
    'config["limits.cpu.nodes"]: LXD 5.0.2 has no instance config key `limits.cpu.nodes` (API extension numa_cpu_placement)',
  );
  expect(await refusal("ServerConfig", { name: "s", config: { "oidc.issuer": "https://127.0.0.1/" } })).toContain(
    'config["oidc.issuer"]: LXD 5.0.2 has no server config key `oidc.issuer` (API extension oidc)',
  );
  expect(log.take().filter((l) => l !== "GET /1.0")).toEqual([]);
  // Keys LXD has pass, and a program that sets no key an extension brings costs no request at all.
  await new Resource("Project", on({ name: name("ok"), config: { "features.images": "true", "limits.disk": "1GiB" } })).check();
  expect(log.take()).toEqual([]);
});

/** One request to the private LXD; its error text ("" on success). */
const lxdError = (method: string, apiPath: string, body?: unknown): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = http.request({ socketPath: lxd.socket, method, path: apiPath, host: "lxd" }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve((JSON.parse(text) as { error?: string }).error ?? ""));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });

it("the generated key table (scripts/generate-config-keys.ts) is up to date, and LXD 5.0.2 refuses exactly the instance and project keys it says LXD lacks", async () => {
  const shared = { ...process.env, INCUS_DIR: undefined };
  execFileSync("npx", ["tsx", path.join(__dirname, "..", "..", "scripts", "generate-config-keys.ts"), "--check"], { env: shared, stdio: "pipe" });
  const lxdExtensions = new Set<string>(query("/1.0").api_extensions);
  const metadata = JSON.parse(execFileSync("incus", ["query", "/1.0/metadata/configuration"], { env: shared, encoding: "utf8" }));
  const sample = (key: string) => key.replace(/<[^>]+>|\*|\b[A-Z][A-Z_]*$/g, "x");
  for (const entity of ["instance", "project", "server"] as const) {
    const table = CONFIG_KEY_EXTENSIONS[entity].filter(([, ext]) => !lxdExtensions.has(ext)).map(([k]) => sample(k));
    const keys = (Object.values(metadata.configs[entity]) as { keys: Record<string, unknown>[] }[])
      .flatMap((g) => g.keys.flatMap((k) => Object.keys(k)))
      .filter((k) => !k.startsWith("volatile.") && !k.startsWith("user."))
      .map(sample);
    // Each of Incus's keys, set alone (an unknown key is refused before its value is looked at; server keys only
    // where the table says LXD lacks them, so nothing is really changed on the server).
    const refused: string[] = [];
    for (const key of entity === "server" ? table : keys) {
      const err =
        entity === "server"
          ? await lxdError("PATCH", "/1.0", { config: { [key]: "x" } })
          : await lxdError("POST", entity === "project" ? "/1.0/projects" : "/1.0/profiles", { name: `k${RUN}`, config: { [key]: "1" } });
      if (!err) await lxdError("DELETE", `${entity === "project" ? "/1.0/projects" : "/1.0/profiles"}/k${RUN}`);
      if (/Unknown configuration key|unknown key|^Invalid project configuration key "[^"]+"$/.test(err)) refused.push(key);
    }
    expect({ entity, refused: refused.sort() }).toEqual({ entity, refused: [...table].sort() });
  }
});
