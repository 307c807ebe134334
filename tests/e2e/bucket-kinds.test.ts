// StorageBucket and StorageBucketKey through the real Pulumi engine and CLI, against a private daemon whose PATH has
// minio and mc (scripts/setup-minio.sh): deploy, a second up that writes nothing, an update, a secret-key check of
// the state (made up by Incus or given in plain text: 0 plain-text occurrences in export, backend, output), destroy.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { FaultDaemon } from "../faults/daemon";
import { filesUnder, occurrences, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const prefix = `pbk${uniqueSuffix().slice(-8)}`;
// What the program gives its writer key, in plain text.
const WRITER_SECRET = `${prefix}-writer-secret-key`;
const WRITER_ACCESS = `${prefix}-writer`;
let daemon: FaultDaemon | undefined;
let t: TestStack | undefined;
const said: string[] = [];
const collect = (text: string) => void said.push(text);

const count = occurrences;
const query = <T = any>(apiPath: string): T | null => daemon!.query<T>(apiPath);

beforeAll(async () => {
  daemon = new FaultDaemon("e2e-bucket", { buckets: true, image: false });
  await daemon.create();
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "bucket-kinds"), {
    prefix,
    "incus:socket": daemon.socket,
  });
}, 45 * 60_000);

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await daemon?.destroy();
}, 180_000);

test("bucket and keys: up, no-op up, update, secret keys never in plain text, destroy", async () => {
  const stack = t!;
  const up = await stack.stack.up({ onOutput: collect });
  expect(up.summary.resourceChanges).toMatchObject({ create: 6 }); // the stack, its identity, project, bucket, two keys
  const bucketUrl = `/1.0/storage-pools/default/buckets/${prefix}-data?project=${prefix}`;
  expect(query(bucketUrl)).toMatchObject({ description: "test bucket", config: { "user.tier": "1" } });
  const reader = query(`/1.0/storage-pools/default/buckets/${prefix}-data/keys/reader?project=${prefix}`);
  const writer = query(`/1.0/storage-pools/default/buckets/${prefix}-data/keys/writer?project=${prefix}`);
  expect(reader).toMatchObject({ role: "read-only" });
  expect(writer).toMatchObject({ role: "admin", "access-key": WRITER_ACCESS, "secret-key": WRITER_SECRET });
  const readerSecret: string = reader["secret-key"];
  expect(readerSecret.length).toBeGreaterThan(8);
  // The program gets the real values, as Pulumi secrets.
  expect(up.outputs.readerSecretKey).toEqual({ value: readerSecret, secret: true });
  expect(up.outputs.writerSecretKey).toEqual({ value: WRITER_SECRET, secret: true });
  expect(up.outputs.readerAccessKey).toEqual({ value: reader["access-key"], secret: false });

  // A second up: nothing to change, nothing written.
  stack.takeRequests();
  const again = await stack.stack.up({ onOutput: collect });
  expect(again.summary.resourceChanges).toEqual({ same: 6 });
  expect(stack.writes(stack.takeRequests())).toEqual([]);

  // A new description is one PUT on the bucket; the keys stay as they are.
  await stack.stack.setConfig("description", { value: "changed" });
  const changed = await stack.stack.up({ onOutput: collect });
  expect(changed.summary.resourceChanges).toMatchObject({ update: 1, same: 5 });
  expect(stack.writes(stack.takeRequests())).toEqual([`PUT /1.0/storage-pools/default/buckets/${prefix}-data?project=${prefix}`]);
  expect(query(bucketUrl)?.description).toBe("changed");
  expect(query(`/1.0/storage-pools/default/buckets/${prefix}-data/keys/reader?project=${prefix}`)?.["secret-key"]).toBe(readerSecret);

  // `pulumi stack export` through the CLI, as a user runs it.
  const exported = execFileSync("pulumi", ["stack", "export", "--stack", stack.stack.name, "--cwd", stack.workDir], {
    encoding: "utf8",
    env: { ...process.env, ...stack.env },
  });
  expect(exported).toContain("ciphertext");
  const backend = filesUnder(stack.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""));
  await stack.stack.destroy({ onOutput: collect });
  const plain = (secret: string) => ({ export: count([exported], secret), backend: count(backend, secret), output: count(said, secret) });
  expect({ reader: plain(readerSecret), writer: plain(WRITER_SECRET) }).toEqual({
    reader: { export: 0, backend: 0, output: 0 },
    writer: { export: 0, backend: 0, output: 0 },
  });
  expect(query(bucketUrl)).toBeNull();
  expect(query(`/1.0/projects/${prefix}`)).toBeNull();
});

// Pulumi YAML has no SDK to mark the field secret: the plugin's check does, so the plain string given in the program is
// never in plain text in the stack (export, backend files, CLI output), and a second up writes nothing.
test("YAML: a bucket key's secretKey given in plain text is secret in state", async () => {
  useYamlHost();
  const yprefix = `${prefix}y`;
  const SECRET = `${yprefix}-yaml-plain-secret`;
  const y = await programStack(path.join(REPO, "tests", "e2e", "programs", "yaml-bucket-key"), { prefix: yprefix, "incus:socket": daemon!.socket });
  const out: string[] = [];
  const keep = (text: string) => void out.push(text);
  try {
    const up = await y.stack.up({ onOutput: keep });
    expect(up.summary.resourceChanges).toEqual({ create: 4 }); // the stack, project, bucket, key
    expect(query(`/1.0/storage-pools/default/buckets/${yprefix}-data/keys/writer?project=${yprefix}`)).toMatchObject({ "secret-key": SECRET });
    expect(up.outputs.writerSecretKey).toEqual({ value: SECRET, secret: true });
    y.takeRequests();
    const again = await y.stack.up({ onOutput: keep });
    expect(again.summary.resourceChanges).toEqual({ same: 4 });
    expect(y.writes(y.takeRequests())).toEqual([]);
    const exported = execFileSync("pulumi", ["stack", "export", "--stack", y.stack.name, "--cwd", y.workDir], {
      encoding: "utf8",
      env: { ...process.env, ...y.env },
    });
    const backend = filesUnder(y.env.PULUMI_BACKEND_URL.replace(/^file:\/\//, ""));
    expect({ export: count([exported], SECRET), backend: count(backend, SECRET), output: count(out, SECRET) }).toEqual({ export: 0, backend: 0, output: 0 });
    const destroy = await y.stack.destroy({ onOutput: keep });
    expect(destroy.summary.resourceChanges).toEqual({ delete: 4 });
    expect(query(`/1.0/projects/${yprefix}`)).toBeNull();
  } finally {
    await y.cleanup();
  }
});
