// examples/compose through the real Pulumi CLI, as users get it (the npm tarball installed in a program outside the
// repository): bad compose files fail at preview naming their path with no request; a registry image is refused
// naming the server's missing `oci` extension (one GET, no write); up, a no-op up with no write, an edit of the
// compose file applied in place, drift put back, a service removed, destroy leaving nothing.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, dropTestProject, filesUnder, incus, incusJson, installPackage, occurrences, REPO, uniqueSuffix } from "./harness";

jest.setTimeout(900_000);

const s = uniqueSuffix().slice(-6);
const project = `pic-${s}`;
const q = `project=${project}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-compose-"));
const app = path.join(work, "app");
const password = `pw-${uniqueSuffix()}`;
const { run, takeWrites, timings } = cliSession(work);
const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", "t", "--non-interactive"], app);
const example = fs.readFileSync(path.join(REPO, "examples", "compose", "compose.yaml"), "utf8");
let port = 0;
let network = "";

/** A free port on loopback for the edge's proxy device. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
    srv.on("error", reject);
  });
}

/** A failing command's output (the CLI exits non-zero on a failed preview). */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the command to fail");
}

const requestLines = () => {
  const log = path.join(work, "requests.log");
  const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  if (fs.existsSync(log)) fs.truncateSync(log, 0);
  return lines;
};

beforeAll(async () => {
  port = await freePort();
  fs.mkdirSync(app);
  fs.copyFileSync(path.join(REPO, "dist", "examples", "compose", "index.js"), path.join(app, "index.js"));
  fs.writeFileSync(path.join(app, "compose.yaml"), example);
  // The secret and the port come from .env, read by the component before it validates the file.
  fs.writeFileSync(path.join(app, ".env"), `DB_PASSWORD=${password}\nEDGE_PORT=${port}\n`);
  fs.writeFileSync(path.join(app, "Pulumi.yaml"), "name: pi-compose-e2e\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n");
  installPackage(app, "pi-compose-e2e");
  run("pulumi", ["stack", "init", "t", "--non-interactive"], app);
  pulumi("config", "set", "project", project);
});

afterAll(async () => {
  console.log(timings.join("\n"));
  try {
    pulumi("destroy", "--yes");
  } catch {
    // already destroyed by the test, or never deployed
  }
  await dropTestProject(project);
  if (network && incusJson(`/1.0/networks/${network}`)) incus("network", "delete", network);
  fs.rmSync(work, { recursive: true, force: true });
});

test("bad compose files fail at preview naming their path, with no request", () => {
  const corpus = path.join(REPO, "tests", "unit", "compose-corpus");
  // One of each stage: YAML, interpolation, schema, an unmappable key, the mapping (dependencies), a local file.
  const picked = [
    "44-yaml-syntax",
    "13-required-variable",
    "01-unknown-service-key",
    "08-network-mode-host",
    "27-healthy-without-healthcheck",
    "23-secret-file-missing",
  ];
  for (const name of picked) {
    const file = path.join(corpus, `${name}.yaml`);
    const expected = /^# expect: (.*)$/m.exec(fs.readFileSync(file, "utf8"))![1];
    pulumi("config", "set", "file", file);
    const out = failure(() => pulumi("preview"));
    expect(out).toContain(expected);
    expect(out).not.toMatch(/at (Object|new|Module)\.|\.js:\d+:\d+/); // the errors, no stack trace
    expect(requestLines()).toEqual([]);
  }
});

test("a registry image is refused at preview: the server has no oci extension (reads only, no write)", () => {
  const file = path.join(work, "registry.yaml");
  fs.writeFileSync(file, "name: oci\nservices:\n  web:\n    image: nginx:1.27\n");
  pulumi("config", "set", "file", file);
  try {
    const out = failure(() => pulumi("preview"));
    expect(out).toContain('services.web.image: "nginx:1.27" is a registry (OCI) image, and this Incus server has no `oci` API extension');
    expect(out).not.toContain("PromiseRejectionHandledWarning");
    // The component asks which server it is (GET /1.0); the preview of the project and its profile, declared before
    // the services, only reads. Nothing is written.
    const requests = requestLines();
    expect(requests.filter((r) => /^GET \/1\.0( |$)/.test(r)).length).toBeGreaterThan(0);
    expect(requests.filter((r) => !r.startsWith("GET "))).toEqual([]);
  } finally {
    pulumi("config", "rm", "file");
  }
});

test("up, no-op up, an edit in place, drift, a service removed, destroy", async () => {
  // up: project, default profile, network, volume, the image copied into the project, 4 instances (component, stack
  // and identity besides).
  const up = pulumi("up", "--yes", "--skip-preview");
  expect(up).toMatch(/\+ 12 created/);
  const outputs = JSON.parse(pulumi("stack", "output", "--json"));
  expect(outputs.project).toBe(project);
  expect(Object.fromEntries(Object.entries<any>(outputs.services).map(([k, v]) => [k, v.instances]))).toEqual({
    db: ["db-1"],
    web: ["web-1", "web-2"],
    edge: ["edge-1"],
  });
  expect(outputs.services.web.ipv4Addresses).toEqual([[], []]); // the network has no addresses
  // The project's own image store holds the image the services name, copied from the default project.
  expect(incusJson(`/1.0/projects/${project}`).config["features.images"]).toBe("true");
  expect(incusJson(`/1.0/images/aliases/pulumi-incus/busybox?${q}`)).not.toBeNull();
  // What the daemon has: a network without addresses, the volume, the secret at /run/secrets with mode 0400.
  const web1 = incusJson(`/1.0/instances/web-1?${q}`);
  network = web1.devices.eth0.network;
  expect(incusJson(`/1.0/networks/${network}`).config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
  expect(incusJson(`/1.0/storage-pools/default/volumes/custom/data?${q}`)).not.toBeNull();
  expect(web1.config).toMatchObject({ "environment.GREETING": "hello", "limits.cpu": "1", "limits.memory": "64MiB" });
  expect(incus("exec", "db-1", "--project", project, "--", "stat", "-c", "%a %n", "/run/secrets/db_password").trim()).toBe("400 /run/secrets/db_password");
  expect(incus("exec", "db-1", "--project", project, "--", "cat", "/run/secrets/db_password")).toBe(password);
  // The edge's port is a proxy on 127.0.0.1, and the web tier ran its command.
  expect(incusJson(`/1.0/instances/edge-1?${q}`).devices["port-0"]).toEqual({ type: "proxy", listen: `tcp:127.0.0.1:${port}`, connect: "tcp:127.0.0.1:80" });
  expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("edge of pi-compose\n");
  expect(incus("exec", "web-2", "--project", project, "--", "cat", "/srv/index.html").trim()).toBe("hello from web-2");
  // The secret is never in plain text in the state.
  expect(occurrences(filesUnder(path.join(work, "state")), password)).toBe(0);
  takeWrites();

  // A second up with no edits: no change, no write.
  expect(pulumi("up", "--yes", "--expect-no-changes")).toMatch(/12 unchanged/);
  expect(takeWrites()).toEqual([]);

  // An edit of the compose file: updated in place (config PUT, the service restarted with the new value).
  fs.writeFileSync(path.join(app, "compose.yaml"), example.replace("GREETING: ${GREETING:-hello}", "GREETING: bonjour"));
  const edited = pulumi("up", "--yes");
  expect(edited).toMatch(/~ 2 updated/);
  expect(edited).not.toMatch(/created|deleted|replaced/);
  const writes = takeWrites();
  expect(writes.filter((w) => w.startsWith("PUT /1.0/instances/web-"))).toHaveLength(2);
  expect(writes.filter((w) => w.startsWith("DELETE /1.0/instances/web-") && !w.includes("/logs/"))).toEqual([]);
  expect(incus("exec", "web-1", "--project", project, "--", "cat", "/srv/index.html").trim()).toBe("bonjour from web-1");

  // Drift: a value changed by hand shows in the preview and the next up puts it back.
  incus("config", "set", "web-1", "environment.GREETING=drifted", "--project", project);
  // The provider's drift lines go to stderr.
  const preview = run("sh", ["-c", "pulumi preview --diff --stack t --non-interactive 2>&1"], app);
  expect(preview).toContain('Instance "web-1" in project "' + project + '": config["environment.GREETING"]: server has "drifted", program wants "bonjour"');
  pulumi("up", "--yes");
  expect(incusJson(`/1.0/instances/web-1?${q}`).config["environment.GREETING"]).toBe("bonjour");
  takeWrites();

  // A service removed from the file: its instance is deleted, the others stay.
  const withoutEdge = example.replace("GREETING: ${GREETING:-hello}", "GREETING: bonjour").replace(/\n {2}edge:\n[\s\S]*?\n\nnetworks:/, "\n\nnetworks:");
  expect(withoutEdge).not.toContain("edge:");
  fs.writeFileSync(path.join(app, "compose.yaml"), withoutEdge);
  expect(pulumi("up", "--yes")).toMatch(/- 1 deleted/);
  expect(incusJson(`/1.0/instances/edge-1?${q}`)).toBeNull();
  expect(incusJson(`/1.0/instances/web-1?${q}`)?.status).toBe("Running");

  // destroy: nothing left, the network (in the default project) included.
  pulumi("destroy", "--yes");
  expect(incusJson(`/1.0/projects/${project}`)).toBeNull();
  expect(incusJson(`/1.0/networks/${network}`)).toBeNull();
});
