// A Pulumi secret in a profile's and an instance's config, through the real engine: deploy, drift, refresh, a failure
// made from the secret on purpose, a command that prints part of a secret file (and then fails doing so), destroy.
// Afterwards the secret appears 0 times in plain text in the stack export, the stack's outputs as the CLI shows them,
// the backend's files, every command's output, the provider's request log and the errors; a no-op up writes nothing.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { filesUnder, incus, incusJson, installedProgram, occurrences, programStack, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const SECRET = `s3cret-${uniqueSuffix()}`;
const prefix = `pse${uniqueSuffix().slice(-8)}`;
let t: TestStack;
const said: string[] = [];
const collect = (text: string) => void said.push(text);

/** The program's file holds the secret upper-cased: a derived secret, which the Pulumi CLI does not mask by itself. */
const PASSWORD = SECRET.toUpperCase();
const occurrencesOfSecret = (texts: string[]) => occurrences(texts, SECRET) + occurrences(texts, PASSWORD);

// The program runs as users run theirs: outside the repository, with the package installed from its tarball.
let program = "";
beforeAll(async () => {
  program = installedProgram("secrets");
  t = await programStack(program, { prefix });
  await t.stack.setConfig("token", { value: SECRET, secret: true });
});
afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  if (program) fs.rmSync(program, { recursive: true, force: true });
});

test("a secret stays secret through up, drift, refresh, a failure and destroy", async () => {
  const up = await t.stack.up({ onOutput: collect });
  expect(up.summary.resourceChanges).toMatchObject({ create: 6 }); // the stack, its identity, project, profile, two instances
  // The server really got the value: the secret is hidden, not lost.
  expect(incusJson(`/1.0/profiles/with-secret?project=${prefix}`)?.config["user.token"]).toBe(SECRET);
  expect(incusJson(`/1.0/instances/holder?project=${prefix}`)?.config["user.api-key"]).toBe(SECRET);
  expect(up.outputs.profileConfig.secret).toBe(true);
  // The command ran and printed the line (the provider hides it from the state, it is not lost).
  expect(up.outputs.readerResults.secret).toBe(true);
  expect(up.outputs.readerResults.value.show).toMatchObject({ exitCode: 0, stdout: `password=${PASSWORD}\n` });

  // Drift on the secret key: reported (by key), never with the value, and put back.
  incus("profile", "set", "with-secret", "user.token=changed-by-hand", "--project", prefix);
  const preview = await t.stack.preview({ onOutput: collect });
  expect(preview.changeSummary).toMatchObject({ update: 1 });
  expect(said.join("")).toContain(`config["user.token"]: the server's value differs from the program's (secret, not shown)`);
  expect(said.join("")).not.toContain("changed-by-hand");
  await t.stack.up({ onOutput: collect });
  expect(incusJson(`/1.0/profiles/with-secret?project=${prefix}`)?.config["user.token"]).toBe(SECRET);

  await t.stack.refresh({ onOutput: collect });

  // A failure made from the secret: Incus refuses it as a memory size; the error names the key, not the value.
  await t.stack.setConfig("failOnPurpose", { value: "true" });
  let failure = "";
  try {
    await t.stack.up({ onOutput: collect });
  } catch (err) {
    failure = String(err);
  }
  expect(failure).toMatch(/limits\.memory/);
  await t.stack.setConfig("failOnPurpose", { value: "false" });
  await t.stack.up({ onOutput: collect });

  // A command that prints a line of the secret file and fails: the message the CLI prints withholds the output.
  await t.stack.setConfig("failCommand", { value: "true" });
  let commandFailure = "";
  try {
    await t.stack.up({ onOutput: collect });
  } catch (err) {
    commandFailure = String(err);
  }
  expect(commandFailure).toContain("commands.show: exited with code 3; its output is withheld here because the instance has secret inputs");
  // The failed run is in state (partial update), so the preview says it failed rather than that it never ran.
  const afterFailure = await t.stack.preview({ onOutput: collect });
  expect(afterFailure.changeSummary).toMatchObject({ update: 1 });
  expect(said.join("")).toContain("commands.show: failed last time (exit code 3), will run again");
  await t.stack.setConfig("failCommand", { value: "false" });
  await t.stack.up({ onOutput: collect });

  // Nothing changed: the next up changes nothing and sends no write (file checks are HEAD requests).
  t.takeRequests();
  const again = await t.stack.up({ onOutput: collect });
  expect(again.summary.resourceChanges).toEqual({ same: 6 });
  expect(t.writes(t.takeRequests()).filter((r) => !r.startsWith("HEAD "))).toEqual([]);

  // `pulumi stack export` as a user runs it (the Automation API's exportStack adds --show-secrets).
  const exported = execFileSync("pulumi", ["stack", "export", "--stack", t.stack.name, "--cwd", t.workDir], {
    encoding: "utf8",
    env: { ...process.env, ...t.env },
  });
  expect(exported).toContain("ciphertext"); // the secret is in state, encrypted
  const stackOutputs = execFileSync("pulumi", ["stack", "output", "--json", "--stack", t.stack.name, "--cwd", t.workDir], {
    encoding: "utf8",
    env: { ...process.env, ...t.env },
  });
  expect(JSON.parse(stackOutputs).readerResults).toBe("[secret]");
  const backend = filesUnder(t.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""));
  const requestLog = fs.existsSync(t.env.PULUMI_INCUS_REQUEST_LOG) ? [fs.readFileSync(t.env.PULUMI_INCUS_REQUEST_LOG, "utf8")] : [];
  await t.stack.destroy({ onOutput: collect });

  expect({
    export: occurrencesOfSecret([exported]),
    stackOutputs: occurrencesOfSecret([stackOutputs]),
    backend: occurrencesOfSecret(backend),
    output: occurrencesOfSecret(said),
    error: occurrencesOfSecret([failure, commandFailure]),
    requestLog: occurrencesOfSecret(requestLog),
  }).toEqual({
    export: 0,
    stackOutputs: 0,
    backend: 0,
    output: 0,
    error: 0,
    requestLog: 0,
  });
  expect(incusJson(`/1.0/projects/${prefix}`)).toBeNull();
});
