// examples/compose-yaml: the compose file of examples/compose run by a Pulumi YAML program through the plugin's
// `incus:compose:Stack` component (the provider protocol's Construct), with the plugin installed from its tarball
// (scripts/build-plugin.sh) into a PULUMI_HOME of this test's own, as a user installs it. A bad compose file fails at
// preview naming its path with no request; up, a no-op up with no write, an edit of the compose file applied in
// place, destroy leaving nothing.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, dropTestProject, filesUnder, incus, incusJson, occurrences, REPO, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(900_000);

const project = `pcy-${uniqueSuffix().slice(-6)}`;
const q = `project=${project}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-compose-yaml-"));
const app = path.join(work, "app");
const password = `pw-${uniqueSuffix()}`;
const { env: sessionEnv, run, takeWrites, timings } = cliSession(work);
/** The session's environment, which beforeAll extends (the YAML host on PATH, a PULUMI_HOME of its own). */
const env = sessionEnv as NodeJS.ProcessEnv;
const pulumi = (...args: string[]) => run("pulumi", [...args, "--stack", "t", "--non-interactive"], app);
const example = fs.readFileSync(path.join(REPO, "examples", "compose", "compose.yaml"), "utf8");
let network = "";

/** Every request the plugin sent since the last call. */
const requestLines = () => {
  const log = path.join(work, "requests.log");
  const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
  if (fs.existsSync(log)) fs.truncateSync(log, 0);
  return lines;
};

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the command to fail");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
    srv.on("error", reject);
  });
}

beforeAll(async () => {
  useYamlHost();
  env.PATH = process.env.PATH;
  // The plugin as a user installs it: the tarball, in this test's own PULUMI_HOME (no `packages:` in Pulumi.yaml).
  env.PULUMI_HOME = path.join(work, "home");
  const version = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
  const tarball = run("bash", [path.join(REPO, "scripts", "build-plugin.sh")], REPO)
    .trim()
    .split("\n")
    .pop()!;
  run("pulumi", ["plugin", "install", "resource", "incus", version, "-f", tarball], work);
  fs.mkdirSync(app);
  fs.copyFileSync(path.join(REPO, "examples", "compose-yaml", "Pulumi.yaml"), path.join(app, "Pulumi.yaml"));
  fs.writeFileSync(path.join(app, "compose.yaml"), example);
  fs.writeFileSync(path.join(app, ".env"), `DB_PASSWORD=${password}\nEDGE_PORT=${await freePort()}\n`);
  run("pulumi", ["stack", "init", "t", "--non-interactive"], app);
  pulumi("config", "set", "incusProject", project);
}, 900_000);

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

test("a bad compose file fails at preview naming its path and the key, with no request", () => {
  const corpus = path.join(REPO, "tests", "unit", "compose-corpus");
  for (const name of ["01-unknown-service-key", "08-network-mode-host", "13-required-variable"]) {
    const file = path.join(corpus, `${name}.yaml`);
    const expected = /^# expect: (.*)$/m.exec(fs.readFileSync(file, "utf8"))![1];
    pulumi("config", "set", "file", file);
    const out = failure(() => pulumi("preview"));
    expect(out).toContain(`incus:compose:Stack resource 'app' has a problem: ComposeStack "app": ${file}`);
    expect(out).toContain(expected);
    expect(requestLines()).toEqual([]);
  }
});

test("up, a no-op up with no write, an edit of the compose file in place, destroy", () => {
  // A path relative to the program's folder.
  pulumi("config", "set", "file", "compose.yaml");
  // Stack, component, project, default profile, network, volume, the image copied in, 4 instances.
  expect(pulumi("up", "--yes", "--skip-preview")).toMatch(/\+ 11 created/);
  const outputs = JSON.parse(pulumi("stack", "output", "--json"));
  expect(outputs.project).toBe(project);
  expect(Object.fromEntries(Object.entries<any>(outputs.services).map(([k, v]) => [k, v.instances]))).toEqual({
    db: ["db-1"],
    web: ["web-1", "web-2"],
    edge: ["edge-1"],
  });
  expect(outputs.services.web.ipv4Addresses).toEqual([[], []]);
  // The children are the plugin's own resources, not dynamic ones.
  const types = (JSON.parse(pulumi("stack", "export")).deployment.resources as { type: string }[]).map((r) => r.type);
  expect(types).toContain("incus:compose:Stack");
  expect(types.filter((t) => t === "incus:index:Instance")).toHaveLength(4);
  expect(types.some((t) => t.startsWith("pulumi-nodejs:dynamic"))).toBe(false);
  // The project's own image store holds the image, alias included.
  expect(incusJson(`/1.0/projects/${project}`).config["features.images"]).toBe("true");
  expect(incusJson(`/1.0/images/aliases/pulumi-incus/busybox?${q}`)).not.toBeNull();
  const web1 = incusJson(`/1.0/instances/web-1?${q}`);
  network = web1.devices.eth0.network;
  expect(web1.config).toMatchObject({ "environment.GREETING": "hello", "limits.memory": "64MiB" });
  expect(incus("exec", "db-1", "--project", project, "--", "stat", "-c", "%a", "/run/secrets/db_password").trim()).toBe("400");
  expect(incus("exec", "db-1", "--project", project, "--", "cat", "/run/secrets/db_password")).toBe(password);
  expect(occurrences(filesUnder(path.join(work, "state")), password)).toBe(0);
  takeWrites();

  expect(pulumi("up", "--yes", "--expect-no-changes")).toMatch(/11 unchanged/);
  expect(takeWrites()).toEqual([]);

  fs.writeFileSync(path.join(app, "compose.yaml"), example.replace("GREETING: ${GREETING:-hello}", "GREETING: bonjour"));
  const edited = pulumi("up", "--yes");
  expect(edited).toMatch(/~ 2 updated/);
  expect(edited).not.toMatch(/created|deleted|replaced/);
  const writes = takeWrites();
  expect(writes.filter((w) => w.startsWith("PUT /1.0/instances/web-"))).toHaveLength(2);
  expect(writes.filter((w) => /^(POST|DELETE) \/1\.0\/(instances|images|projects)(\?|$)/.test(w))).toEqual([]);
  expect(incus("exec", "web-1", "--project", project, "--", "cat", "/srv/index.html").trim()).toBe("bonjour from web-1");

  pulumi("destroy", "--yes");
  expect(incusJson(`/1.0/projects/${project}`)).toBeNull();
  expect(incusJson(`/1.0/networks/${network}`)).toBeNull();
  // The default project's image stays.
  expect(incusJson("/1.0/images/aliases/pulumi-incus/busybox")).not.toBeNull();
});
