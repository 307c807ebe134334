// examples/lxd through the real pulumi CLI, installed from the npm tarball as users get it, against a private LXD
// 5.0.2 (tests/lxd/daemon.ts) that the provider finds by itself: stack config `incus:server: lxd` (the example's
// Pulumi.yaml) and LXD_DIR, as the lxc CLI would. up, a no-op up (no write), an edit, drift put back, destroy.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RUN } from "../faults/daemon";
import { cliSession, installedProgram } from "../e2e/harness";
import { cli } from "../integration/kinds-harness";
import { lxdDaemon } from "./daemon";

jest.setTimeout(900_000);
const lxd = lxdDaemon("example");
const { query, queryWrite, incus } = cli(lxd.dir);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-lxd-example-"));
const { env, run, takeWrites, timings } = cliSession(work);
// How the provider finds this LXD: LXD_DIR (the lxc CLI's variable); nothing names its socket.
Object.assign(env, { LXD_DIR: lxd.dir });
const prefix = `lx${RUN}`.slice(0, 9);
const P = `?project=${prefix}`;
let app = "";
const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], app);

beforeAll(async () => {
  await lxd.create();
  app = installedProgram("lxd", "examples");
  pulumi("stack", "init", "t");
  pulumi("config", "set", "lab:prefix", prefix);
}, 600_000);
afterAll(async () => {
  try {
    if (app && query(`/1.0/projects/${prefix}`)) pulumi("destroy", "--yes", "--skip-preview");
  } finally {
    await lxd.destroy();
    fs.rmSync(work, { recursive: true, force: true });
    if (app) fs.rmSync(app, { recursive: true, force: true });
    console.log(`examples/lxd on LXD 5.0.2:\n  ${timings.join("\n  ")}`);
  }
}, 300_000);

it("up: the lab runs on LXD, every instance started and its command run", () => {
  pulumi("up", "--yes", "--skip-preview");
  takeWrites();
  // `hello` comes from commandResults, a secret output.
  const out = JSON.parse(pulumi("stack", "output", "--json", "--show-secrets"));
  expect(out.projectName).toBe(prefix);
  expect(out.nodes).toEqual([
    { name: `${prefix}-node1`, status: "Running", hello: "lab node 1 (primary), managed by pulumi-incus\n" },
    { name: `${prefix}-node2`, status: "Running", hello: "lab node 2 (replica), managed by pulumi-incus\n" },
  ]);
  expect(query(`/1.0/instances/${prefix}-node1${P}`).status).toBe("Running");
  expect(query(`/1.0/profiles/lab-base${P}`).config["security.devlxd"]).toBe("true");
  expect(query(`/1.0/networks/${prefix}-net`).config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
});

it("a second up sends no write", () => {
  const outText = pulumi("up", "--yes", "--expect-no-changes");
  expect(outText).toMatch(/unchanged/);
  expect(takeWrites()).toEqual([]);
});

it("an edit: the new file content reaches every instance", () => {
  pulumi("config", "set", "lab:motd", "edited");
  pulumi("up", "--yes", "--skip-preview");
  expect(takeWrites().filter((w) => w.startsWith("POST ") && w.includes("/files?"))).toHaveLength(2);
  expect(incus("file", "pull", `${prefix}-node1/etc/motd`, "-", "--project", prefix)).toBe("lab node 1 (primary), edited\n");
  expect(incus("file", "pull", `${prefix}-node2/etc/motd`, "-", "--project", prefix)).toBe("lab node 2 (replica), edited\n");
});

it("drift made with the CLI is shown by the preview and put back by up", () => {
  const live = query(`/1.0/profiles/lab-base${P}`);
  queryWrite("PUT", `/1.0/profiles/lab-base${P}`, { ...live, config: { ...live.config, "limits.cpu": "2", "user.hand": "x" } });
  const preview = pulumi("preview");
  expect(preview).toContain('config["limits.cpu"]: server has "2", program wants "1"');
  expect(preview).toContain('config["user.hand"]: server has "x", program wants unset');
  pulumi("up", "--yes", "--skip-preview");
  const back = query(`/1.0/profiles/lab-base${P}`).config;
  expect(back["limits.cpu"]).toBe("1");
  expect(back["user.hand"]).toBeUndefined();
  takeWrites();
  pulumi("up", "--yes", "--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

it("destroy leaves nothing on the server", () => {
  pulumi("destroy", "--yes", "--skip-preview");
  expect(query(`/1.0/projects/${prefix}`)).toBeUndefined();
  expect(query(`/1.0/networks/${prefix}-net`)).toBeUndefined();
  expect(query("/1.0/instances?recursion=0&all-projects=true")).toEqual([]);
});
