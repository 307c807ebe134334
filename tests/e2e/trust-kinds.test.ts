// Certificate and ServerConfig through the real Pulumi CLI, against a private daemon (both kinds are server-wide):
// up, a second up with no write, an edit, destroy. The generated private key is a secret output: it appears 0 times
// in plain text in the stack export, the backend's files, the CLI's output and the provider's request log. So do a
// server credential given as plain text and the one it replaced, read back by ServerConfig.get and the lookups, and
// a key dropped from the program gets its earlier value back.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { FaultDaemon } from "../faults/daemon";
import { filesUnder, occurrences, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("e2e-trust-kinds");
let t: TestStack;
let creds: TestStack | undefined;
const said: string[] = [];
const collect = (text: string) => void said.push(text);
const config = (): Record<string, string> => daemon.query("/1.0")?.config ?? {};

beforeAll(async () => {
  await daemon.create({ bare: true });
  daemon.incus("config", "set", "images.auto_update_interval=12", "user.other=keep");
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "trust-kinds"), { "incus:socket": daemon.socket });
});
afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await creds?.cleanup().catch(() => undefined);
  await daemon.destroy();
});

test("generated certificate and server config: up, unchanged up, edit, destroy; the key never in plain text", async () => {
  const up = await t.stack.up({ onOutput: collect });
  expect(up.summary.resourceChanges).toEqual({ create: 4 }); // the stack, its identity, certificate, server config
  const { fingerprint, certificate, privateKey, previousConfig } = up.outputs;
  expect(privateKey.secret).toBe(true);
  expect(previousConfig.secret).toBe(true);
  const key = privateKey.value as string;
  expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  expect(new X509Certificate(certificate.value).checkPrivateKey(require("node:crypto").createPrivateKey(key))).toBe(true);
  expect(daemon.query(`/1.0/certificates/${fingerprint.value}`)).toMatchObject({ name: "ci-client", description: "ci runner", type: "client" });
  expect(config()).toMatchObject({ "images.auto_update_interval": "0", "user.team": "ops", "user.other": "keep" });
  expect(previousConfig.value).toEqual({ "images.auto_update_interval": "12", "user.team": null });

  // Unchanged: nothing to do and nothing written.
  t.takeRequests();
  const again = await t.stack.up({ onOutput: collect });
  expect(again.summary.resourceChanges).toEqual({ same: 4 });
  expect(t.writes(t.takeRequests())).toEqual([]);
  expect(again.outputs.privateKey.value).toBe(key);

  // An edit: both change in place, one PUT each; the key and fingerprint stay.
  await t.stack.setConfig("description", { value: "ci runner 2" });
  await t.stack.setConfig("team", { value: "dev" });
  const edit = await t.stack.up({ onOutput: collect });
  expect(edit.summary.resourceChanges).toEqual({ same: 2, update: 2 });
  expect(t.writes(t.takeRequests()).sort()).toEqual(["PUT /1.0", `PUT /1.0/certificates/${fingerprint.value}`]);
  expect(edit.outputs.privateKey.value).toBe(key);
  expect(daemon.query(`/1.0/certificates/${fingerprint.value}`)).toMatchObject({ description: "ci runner 2" });
  expect(config()["user.team"]).toBe("dev");

  await t.stack.refresh({ onOutput: collect });
  const exported = execFileSync("pulumi", ["stack", "export", "--stack", t.stack.name, "--cwd", t.workDir], {
    encoding: "utf8",
    env: { ...process.env, ...t.env },
  });
  expect(exported).toContain("ciphertext");
  await t.stack.destroy({ onOutput: collect });

  // Destroy: the entry is gone, every managed key has its earlier value again, others' keys stay.
  expect(daemon.query("/1.0/certificates")).toEqual([]);
  expect(config()).toEqual({ "images.auto_update_interval": "12", "user.other": "keep" });

  // The key's base64 body (every line of it) in plain text anywhere: 0 times.
  const body = key
    .split("\n")
    .filter((l) => l && !l.startsWith("-----"))
    .join("");
  const lines = key.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
  const count = (texts: string[]) => texts.reduce((n, text) => n + lines.reduce((m, l) => m + text.split(l).length - 1, 0) + text.split(body).length - 1, 0);
  const backend = filesUnder(t.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""));
  const requestLog = fs.existsSync(t.env.PULUMI_INCUS_REQUEST_LOG) ? [fs.readFileSync(t.env.PULUMI_INCUS_REQUEST_LOG, "utf8")] : [];
  expect(backend.length).toBeGreaterThan(0);
  expect(count([`state: ${key}`])).toBeGreaterThan(0); // the count does find the key where it is
  expect({ export: count([exported]), backend: count(backend), output: count(said), requestLog: count(requestLog) }).toEqual({
    export: 0,
    backend: 0,
    output: 0,
    requestLog: 0,
  });
});

test("a server credential is secret everywhere; a dropped key gets its earlier value back", async () => {
  const OLD = `old-pw-${uniqueSuffix()}`;
  const NEW = `new-pw-${uniqueSuffix()}`;
  daemon.incus("config", "set", `loki.auth.password=${OLD}`);
  const before = config();
  creds = await programStack(path.join(REPO, "tests", "e2e", "programs", "server-credentials"), { "incus:socket": daemon.socket });
  const c = creds;
  // Secret in the stack's config (Pulumi keeps its config history), read with a plain `get` by the program.
  await c.stack.setConfig("password", { value: NEW, secret: true });
  const out: string[] = [];
  const onOutput = (text: string) => void out.push(text);

  // The program gives the password as plain text: the kind keeps it secret in the resource, the get and the lookups.
  const up = await c.stack.up({ onOutput });
  expect(config()).toMatchObject({ "loki.auth.password": NEW, "user.team": "ops", "user.other": "keep" });
  for (const key of ["resourceConfig", "previousConfig", "getConfig", "lookupConfig"]) expect([key, up.outputs[key].secret]).toEqual([key, true]);
  expect(up.outputs.resourceConfig.value["loki.auth.password"]).toBe(NEW);
  expect(up.outputs.getConfig.value["loki.auth.password"]).toBe(NEW);
  expect(up.outputs.lookupConfig.value["loki.auth.password"]).toBe(NEW);
  expect(up.outputs.previousConfig.value).toEqual({ "loki.auth.password": OLD, "user.team": null });
  // The Promise form hands plain values to the program: it leaves the credential out.
  expect(up.outputs.promiseTeam.value).toBe("ops");
  expect(up.outputs.promiseKeys.value).not.toContain("loki.auth.password");
  expect(up.outputs.promiseKeys.value).toContain("images.auto_update_interval");

  c.takeRequests();
  await c.stack.up({ onOutput });
  expect(c.writes(c.takeRequests())).toEqual([]);
  await c.stack.refresh({ onOutput });

  // Dropped from the program: the preview says so without the value, and up puts back what was there before.
  await c.stack.removeConfig("password");
  await c.stack.preview({ onOutput });
  expect(out.join("")).toContain(
    `config["loki.auth.password"]: the server's value differs from the program's (secret, not shown); dropped from the program, it goes back to its earlier value`,
  );
  c.takeRequests();
  const dropped = await c.stack.up({ onOutput });
  expect(c.writes(c.takeRequests())).toEqual(["PUT /1.0"]);
  expect(config()).toMatchObject({ "loki.auth.password": OLD, "user.team": "ops" });
  expect(dropped.outputs.previousConfig.value).toEqual({ "user.team": null });
  await c.stack.up({ onOutput });
  expect(c.writes(c.takeRequests())).toEqual([]);

  const exported = execFileSync("pulumi", ["stack", "export", "--stack", c.stack.name, "--cwd", c.workDir], {
    encoding: "utf8",
    env: { ...process.env, ...c.env },
  });
  expect(exported).toContain("ciphertext");
  const backend = filesUnder(c.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""));
  expect(backend.length).toBeGreaterThan(0);
  await c.stack.destroy({ onOutput });
  expect(config()).toEqual(before);
  const requestLog = fs.existsSync(c.env.PULUMI_INCUS_REQUEST_LOG) ? [fs.readFileSync(c.env.PULUMI_INCUS_REQUEST_LOG, "utf8")] : [];
  expect(occurrences([`state: ${NEW} ${OLD}`], NEW) + occurrences([`state: ${OLD}`], OLD)).toBe(2); // the count finds them
  const plain = (secret: string) => ({
    export: occurrences([exported], secret),
    backend: occurrences(backend, secret),
    output: occurrences(out, secret),
    requestLog: occurrences(requestLog, secret),
  });
  expect({ new: plain(NEW), old: plain(OLD) }).toEqual({
    new: { export: 0, backend: 0, output: 0, requestLog: 0 },
    old: { export: 0, backend: 0, output: 0, requestLog: 0 },
  });
  daemon.incus("config", "unset", "loki.auth.password");
});
