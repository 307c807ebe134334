// An instance's waits, files and commands through the real Pulumi engine (Automation API on the `declared` test
// program): `up` returns with the guest Ready, its files in place and its setup command run; edits to files and
// commands update in place; a file changed inside the instance is drift that `up` puts back; a failing command
// fails the step with its exit code (its output withheld: the instance has a secret input) and records the failed
// run, so the preview says it failed; a changed trigger runs a command again; a secret file content appears nowhere.
import * as fs from "node:fs";
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const s = uniqueSuffix().slice(-8);
const P = `pic-${s}`;
const name = `app-${s}`;
const SECRET = `tok-${s}-very-secret`;
const client = new IncusClient();
let t: TestStack;
let printed = "";

const exec = (...cmd: string[]) => incus("exec", name, "--project", P, "--", ...cmd);
const live = () => incusJson(`/1.0/instances/${name}?project=${P}`);

function program(files: Record<string, unknown>, commands: Record<string, unknown>) {
  return JSON.stringify([
    {
      kind: "Instance",
      name: "app",
      args: {
        project: P,
        name,
        image: "pulumi-incus/debian",
        profiles: [],
        devices: { root: { type: "disk", path: "/", pool: "default" } },
        waitFor: { running: { timeout: 60 }, ready: { timeout: 120 } },
        files,
        commands,
      },
    },
  ]);
}

const boot = { content: "#!/bin/sh\n/usr/local/bin/incus-ready\n", mode: "0755" };
const files1 = { "/etc/rc.local": boot, "/etc/app.conf": { content: "port=80\n" }, "/root/token": { content: "$secretConfig:token", mode: "0600" } };
const commands1 = { setup: { command: "cp /etc/app.conf /root/applied.conf; echo configured" } };
const fixed = { ...commands1, check: { command: "grep -q port= /etc/app.conf && echo ok" } };

/** The instance's command results from an export with secrets shown (commandResults is a secret output). */
function commandResults(state: { deployment: { resources: { type: string; outputs: Record<string, any> }[] } }) {
  const inst = state.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/incus:Instance")!;
  const value = inst.outputs.commandResults;
  expect(value).toHaveProperty("plaintext"); // stored encrypted
  return JSON.parse(value.plaintext);
}

/** Where the secret appears in the stack's files as the backend stores them (state, history, backups), if anywhere. */
function secretInStoredState(): string[] {
  const dir = t.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, "");
  const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => fs.statSync(path.join(dir, f)).isFile());
  expect(files.length).toBeGreaterThan(0);
  return files.filter((f) => fs.readFileSync(path.join(dir, f), "utf8").includes(SECRET));
}

async function up() {
  const res = await t.stack.up({ onOutput: (o) => (printed += o) });
  return res.summary.resourceChanges;
}

beforeAll(async () => {
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"));
  await t.stack.setConfig("token", { value: SECRET, secret: true });
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await deleteProjectAndContents(client, P).catch(() => undefined);
  await closeAllPools();
});

test("up returns with the guest Ready, its files in place and its command run", async () => {
  await t.stack.setConfig("resources", { value: program(files1, commands1) });
  const started = Date.now();
  expect(await up()).toEqual({ create: 3 }); // the stack, its identity, the instance
  const seconds = (Date.now() - started) / 1000;
  console.log(`up of one Debian instance with files, a command and a Ready wait: ${seconds.toFixed(1)} s`);
  expect(live().status).toBe("Ready");
  expect(exec("cat", "/root/applied.conf")).toBe("port=80\n");
  expect(exec("cat", "/root/token")).toBe(SECRET);
  expect(exec("stat", "-c", "%a", "/root/token")).toBe("600\n");
  expect(commandResults(await t.stack.exportStack())).toEqual({ setup: { exitCode: 0, stdout: "configured\n", stderr: "", digest: expect.any(String) } });
  expect(secretInStoredState()).toEqual([]);
});

test("a second up changes nothing and writes nothing", async () => {
  t.takeRequests();
  expect(await up()).toEqual({ same: 3 });
  // Files are checked by their metadata (HEAD), nothing is downloaded or written.
  expect(t.writes(t.takeRequests()).filter((r) => !r.startsWith("HEAD "))).toEqual([]);
});

test("edits to a file and to the command update in place", async () => {
  const before = live().config["volatile.uuid"];
  await t.stack.setConfig("resources", {
    value: program(
      { ...files1, "/etc/app.conf": { content: "port=8080\n" } },
      { setup: { command: "cp /etc/app.conf /root/applied.conf; echo reconfigured" } },
    ),
  });
  expect(await up()).toEqual({ same: 2, update: 1 });
  expect(live().config["volatile.uuid"]).toBe(before); // the same instance
  expect(exec("cat", "/root/applied.conf")).toBe("port=8080\n");
});

test("a file changed inside the instance shows as drift in the preview and up puts it back", async () => {
  exec("sh", "-c", "echo changed-by-hand-with-more-bytes > /root/token");
  printed = "";
  const preview = await t.stack.preview({ onOutput: (o) => (printed += o) });
  expect(preview.changeSummary).toEqual({ same: 2, update: 1 });
  expect(printed).toContain(`files["/root/token"]: content in the instance differs from the program`);
  expect(await up()).toEqual({ same: 2, update: 1 });
  expect(exec("cat", "/root/token")).toBe(SECRET);
  expect(printed).not.toContain(SECRET);
  expect(secretInStoredState()).toEqual([]);
});

test("a failing command fails the step with its exit code; state stays consistent and the fixed program repairs it", async () => {
  await t.stack.setConfig("resources", {
    value: program(files1, { ...commands1, check: { command: "echo checking; echo 'port is wrong' >&2; exit 4" } }),
  });
  let message = "";
  try {
    await up();
  } catch (err) {
    message = String(err);
  }
  // The instance has a secret input (a file's content): what the command printed may hold part of it.
  expect(message).toContain("commands.check: exited with code 4; its output is withheld here because the instance has secret inputs");
  expect(message).not.toContain("port is wrong");
  expect(message).not.toContain(SECRET);
  // The instance is still recorded once, with the failed run kept in its (secret) results.
  const state = await t.stack.exportStack();
  const recorded = state.deployment.resources.filter((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/incus:Instance");
  expect(recorded).toHaveLength(1);
  expect(commandResults(state)).toMatchObject({ setup: { exitCode: 0 }, check: { exitCode: 4, stdout: "checking\n", stderr: "port is wrong\n" } });
  printed = "";
  const preview = await t.stack.preview({ onOutput: (o) => (printed += o) });
  expect(preview.changeSummary).toEqual({ same: 2, update: 1 });
  expect(printed).toContain("commands.check: failed last time (exit code 4), will run again");
  expect(printed).not.toContain("never ran");

  await t.stack.setConfig("resources", { value: program(files1, fixed) });
  expect(await up()).toEqual({ same: 2, update: 1 });
  expect(commandResults(await t.stack.exportStack()).check).toEqual({ exitCode: 0, stdout: "ok\n", stderr: "", digest: expect.any(String) });
  expect(await up()).toEqual({ same: 3 });
});

test("a changed trigger runs a command again (as a version input reruns an install step); the same triggers do not", async () => {
  const withStamp = (version: string) => program(files1, { ...fixed, stamp: { command: "echo run >> /root/stamp", triggers: [version] } });
  await t.stack.setConfig("resources", { value: withStamp("1.0") });
  expect(await up()).toEqual({ same: 2, update: 1 });
  await t.stack.setConfig("resources", { value: withStamp("1.1") });
  printed = "";
  const preview = await t.stack.preview({ onOutput: (o) => (printed += o) });
  expect(preview.changeSummary).toEqual({ same: 2, update: 1 });
  expect(printed).toContain("commands.stamp: triggers changed, will run again");
  expect(await up()).toEqual({ same: 2, update: 1 });
  expect(exec("cat", "/root/stamp")).toBe("run\nrun\n");
  t.takeRequests();
  expect(await up()).toEqual({ same: 3 });
  expect(t.writes(t.takeRequests()).filter((r) => !r.startsWith("HEAD "))).toEqual([]);
});

test("destroy removes the instance", async () => {
  await t.stack.destroy();
  expect(live()).toBeNull();
});
