// Operations and events against the real daemon: instance creates waited for on the events stream and through
// /wait, failures with Incus's text, file push and pull, lifecycle subscriptions, one shared connection, and a
// short-lived process that exits at once.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { closeAllPools, IncusClient, type IncusError, type IncusEvent } from "../../provider/client";
import { captureRequests, createProject, dropProject, expectRejection, IMAGE_ALIAS, tempDir, unique } from "./client-helpers";

jest.setTimeout(30_000);

const client = new IncusClient();
const polling = new IncusClient(client.endpoint, { events: false });
// Images come from the default project (features.images=false); the project's own default profile gets a root disk.
const project = unique("cli-ops");

function instanceBody(name: string) {
  return { name, source: { type: "image", alias: IMAGE_ALIAS }, start: false };
}

interface Instance {
  name: string;
  status: string;
  description: string;
  config: Record<string, string>;
  devices: Record<string, unknown>;
  profiles: string[];
  ephemeral: boolean;
  architecture: string;
}

beforeAll(async () => {
  await createProject(client, project, { "features.images": "false" });
  await client.update<{ devices: Record<string, unknown> }>(
    "/1.0/profiles/default",
    (live) => ({ ...live, devices: { ...live.devices, root: { type: "disk", path: "/", pool: "default" } } }),
    { project },
  );
});

afterAll(async () => {
  await dropProject(client, project);
  await closeAllPools();
});

describe("async instance create", () => {
  test("waited for on the events stream: progress reported, no /wait call", async () => {
    const name = unique("ev");
    const log = captureRequests();
    const progress: Array<Record<string, unknown>> = [];
    const res = await client.post("/1.0/instances", instanceBody(name), { project, onProgress: (m) => progress.push(m) }).finally(() => log.stop());
    expect(res.status).toBe(202);
    expect(res.operation).toMatchObject({ status: "Success", status_code: 200, description: "Creating instance" });
    expect(log.lines().some((l) => l.includes("/wait"))).toBe(false);
    expect(log.lines()).toContain(`POST /1.0/instances?project=${project}`);
    expect(progress.some((m) => (m.progress as { stage?: string } | undefined)?.stage === "create_instance_from_image_unpack")).toBe(true);
    const inst = await client.get<Instance>(`/1.0/instances/${name}`, { project });
    expect(inst.value.status).toBe("Stopped");
  });

  test("waited for through /operations/{id}/wait when events are off", async () => {
    const name = unique("wait");
    const log = captureRequests();
    const res = await polling.post("/1.0/instances", instanceBody(name), { project }).finally(() => log.stop());
    expect(res.operation?.status).toBe("Success");
    const waits = log.lines().filter((l) => /^GET \/1\.0\/operations\/[0-9a-f-]+\/wait\?timeout=\d+$/.test(l));
    expect(waits.length).toBeGreaterThanOrEqual(1);
    expect(log.lines().some((l) => l.startsWith("GET /1.0/events"))).toBe(false);
    expect((await client.get<Instance>(`/1.0/instances/${name}`, { project })).value.status).toBe("Stopped");
  });

  test("waitOperation on an operation that already finished reads its final state", async () => {
    const name = unique("late");
    const res = await client.request("POST", "/1.0/instances", { project, body: instanceBody(name) });
    // Let it finish before anyone waits (it stays visible for 5 s).
    for (let i = 0; i < 50 && (await client.getOperation(res.operation!.id)).status_code < 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await client.waitOperation(res.operation!.id)).status).toBe("Success");
    expect((await polling.waitOperation(`/1.0/operations/${res.operation!.id}`)).status).toBe("Success");
  });

  test("a duplicate name: 202, then the operation fails, recognised as already exists", async () => {
    const name = unique("dup");
    await client.post("/1.0/instances", instanceBody(name), { project });
    const err = (await expectRejection(client.post("/1.0/instances", instanceBody(name), { project }))) as IncusError;
    expect(err.isAlreadyExists).toBe(true);
    expect(err.method).toBe("POST");
    expect(err.path).toBe("/1.0/instances (Creating instance)");
  });
});

describe("failing operations", () => {
  test.each([
    ["events", client],
    ["/wait", polling],
  ])("Incus's text comes through (%s)", async (_how, c) => {
    // An instance makes sure the project is not empty, whatever ran before.
    await client.post("/1.0/instances", instanceBody(unique("keep")), { project });
    const err = (await expectRejection(c.post(`/1.0/projects/${project}`, { name: unique("renamed") }, { project: null }))) as IncusError;
    expect(err.incusMessage).toBe("Only empty projects can be renamed");
    expect(err.status).toBe(400);
    expect(err.message).toBe(`POST /1.0/projects/${project} (Renaming project): Only empty projects can be renamed (HTTP 400)`);
  });

  test("an async PUT whose operation fails (volatile keys dropped)", async () => {
    const name = unique("put");
    await client.post("/1.0/instances", instanceBody(name), { project });
    const live = await client.get<Instance>(`/1.0/instances/${name}`, { project });
    const err = (await expectRejection(client.put(`/1.0/instances/${name}`, { ...live.value, config: {} }, { project, etag: live.etag }))) as IncusError;
    expect(err.incusMessage).toMatch(/Volatile idmap keys can't be deleted by the user/);
  });
});

test("files push and pull as streams, with Content-Type and Incus headers set", async () => {
  const name = unique("files");
  await client.post("/1.0/instances", instanceBody(name), { project });
  const data = randomBytes(300 * 1024);
  const filePath = `/instances/${name}/files`;
  await client.upload(`/1.0${filePath}`, data, {
    project,
    query: { path: "/root/blob.bin" },
    headers: { "X-Incus-mode": "0640", "X-Incus-uid": "0", "X-Incus-gid": "0" },
  });
  const pulled = await client.download(`/1.0${filePath}`, { project, query: { path: "/root/blob.bin" } });
  expect(pulled.headers["x-incus-type"]).toBe("file");
  expect(pulled.headers["x-incus-mode"]).toBe("0640");
  const chunks: Buffer[] = [];
  for await (const chunk of pulled.stream) chunks.push(chunk as Buffer);
  expect(Buffer.concat(chunks).equals(data)).toBe(true);
});

describe("events", () => {
  test("subscribe delivers one project's lifecycle events until unsubscribed", async () => {
    const name = unique("life");
    await client.post("/1.0/instances", instanceBody(name), { project });
    const seen: IncusEvent[] = [];
    const unsubscribe = client.subscribe({ types: ["lifecycle"], project }, (e) => seen.push(e));
    await unsubscribe.ready;

    const path = `/1.0/instances/${name}`;
    const otherProfile = unique("elsewhere");
    await client.update<Instance>(path, (live) => ({ ...live, description: "touched" }), { project });
    // In the default project: must not reach a subscriber of `project`.
    await client.post("/1.0/profiles", { name: otherProfile }, { project: "default" });
    await client.delete(`/1.0/profiles/${otherProfile}`, { project: "default" });
    await waitFor(() => seen.some((e) => e.metadata?.action === "instance-updated"));
    expect(seen.every((e) => e.type === "lifecycle" && e.project === project)).toBe(true);
    expect(seen.find((e) => e.metadata?.action === "instance-updated")?.metadata?.source).toBe(`${path}?project=${project}`);

    unsubscribe();
    const count = seen.length;
    await client.update<Instance>(path, (live) => ({ ...live, description: "again" }), { project });
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.length).toBe(count);
  });

  test("allProjects subscriptions see every project, operation events included", async () => {
    const seen: IncusEvent[] = [];
    const unsubscribe = client.subscribe({ allProjects: true }, (e) => seen.push(e));
    try {
      await unsubscribe.ready;
      const profile = unique("anyproj");
      await client.post("/1.0/profiles", { name: profile }, { project: "default" });
      await client.delete(`/1.0/profiles/${profile}`, { project: "default" });
      const res = await client.post("/1.0/instances", instanceBody(unique("allp")), { project });
      await waitFor(() => seen.some((e) => e.type === "operation" && e.metadata?.id === res.operation?.id && e.metadata?.status === "Success"));
      await waitFor(() => seen.some((e) => e.metadata?.action === "profile-deleted" && e.project === "default"));
    } finally {
      unsubscribe();
    }
  });

  test("concurrent writes share one events connection", async () => {
    const names = [unique("c1"), unique("c2"), unique("c3"), unique("c4")];
    await closeAllPools(); // start without an events connection
    const log = captureRequests();
    try {
      await Promise.all(names.map((n) => client.post("/1.0/instances", instanceBody(n), { project })));
    } finally {
      log.stop();
    }
    expect(log.lines().filter((l) => l.startsWith("GET /1.0/events"))).toEqual(["GET /1.0/events?type=operation,lifecycle&all-projects=true"]);
    expect(log.lines().some((l) => l.includes("/wait"))).toBe(false);
    const listed = await client.list<Instance>("/1.0/instances", { project, filter: names.map((n) => `name eq ${n}`).join(" or ") });
    expect(listed.map((i) => i.name).sort()).toEqual([...names].sort());
  });
});

test("a short-lived process that waited on events exits at once", () => {
  const out = transpileClient();
  const script = `
    const { IncusClient } = require(${JSON.stringify(path.join(out, "index.js"))});
    (async () => {
      const c = new IncusClient();
      const a = ${JSON.stringify(unique("cli-exit"))}, b = a + "-b";
      await c.post("/1.0/projects", { name: a }, { project: null });
      const res = await c.post("/1.0/projects/" + a, { name: b }, { project: null });
      await c.delete("/1.0/projects/" + b, { project: null });
      console.log("done " + res.operation.status + " " + Date.now());
    })().catch((e) => { console.error(e); process.exit(1); });
  `;
  const log = path.join(tempDir("exitlog"), "requests.log");
  const child = spawnSync(process.execPath, ["-e", script], {
    env: { ...process.env, NODE_PATH: path.resolve(__dirname, "../../node_modules"), PULUMI_INCUS_REQUEST_LOG: log },
    encoding: "utf8",
    timeout: 15_000,
  });
  const exitedAt = Date.now();
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  const [, status, doneAt] = child.stdout.trim().split(" ");
  expect(status).toBe("Success");
  // The idle events connection closes after 10 s; an exit well before that means nothing held the process.
  expect(exitedAt - Number(doneAt)).toBeLessThan(5_000);
  expect(fs.readFileSync(log, "utf8")).toMatch(/^GET \/1\.0\/events\?type=operation,lifecycle&all-projects=true$/m);
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The client as plain JS in a temp dir, so a child process can load it without a TypeScript toolchain. */
function transpileClient(): string {
  const src = path.resolve(__dirname, "../../provider/client");
  const out = tempDir("client-js");
  for (const file of fs.readdirSync(src).filter((f) => f.endsWith(".ts"))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(src, file), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    fs.writeFileSync(path.join(out, file.replace(/\.ts$/, ".js")), outputText);
  }
  return out;
}
