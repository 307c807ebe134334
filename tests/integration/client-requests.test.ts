// Requests against the real daemon: envelopes, errors, ETags, lists and filters, streamed uploads and downloads.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { closeAllPools, IncusClient, IncusError, isAlreadyExists, isNotFound, isPreconditionFailed } from "../../provider/client";
import { captureRequests, createProject, dropProject, expectRejection, IMAGE_ALIAS, tempDir, unique } from "./client-helpers";

jest.setTimeout(30_000);

const client = new IncusClient();
const project = unique("cli-req");
const cleanups: Array<() => Promise<unknown>> = [];

interface Profile {
  name: string;
  description: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  project?: string;
}

async function makeProfile(name: string, config: Record<string, string> = {}): Promise<string> {
  await client.post("/1.0/profiles", { name, description: "", config, devices: {} }, { project });
  return `/1.0/profiles/${name}`;
}

beforeAll(async () => {
  // Default features: this project has its own profiles, images and volumes.
  await createProject(client, project);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await dropProject(client, project);
  await closeAllPools();
});

describe("envelopes", () => {
  test("sync: metadata, status and no operation", async () => {
    const res = await client.get<{ api_version: string }>("/1.0", { project: null });
    expect(res.status).toBe(200);
    expect(res.value.api_version).toBe("1.0");
    expect((res as { operation?: unknown }).operation).toBeUndefined();
  });

  test("sync create: 201 with the Location of the new object, project included", async () => {
    const name = unique("prof");
    const res = await client.request("POST", "/1.0/profiles", { project, body: { name, config: {}, devices: {} } });
    expect(res.status).toBe(201);
    expect(res.location).toBe(`/1.0/profiles/${name}?project=${project}`);
  });

  test("async: 202 with the operation, not waited for by request()", async () => {
    const from = unique("cli-empty");
    const to = unique("cli-renamed");
    await createProject(client, from);
    cleanups.push(
      () => dropProject(client, from),
      () => dropProject(client, to),
    );
    const res = await client.request("POST", `/1.0/projects/${from}`, { project: null, body: { name: to } });
    expect(res.status).toBe(202);
    expect(res.operation?.class).toBe("task");
    expect(res.operation?.description).toBe("Renaming project");
    expect(res.operation!.status_code).toBeLessThan(200);
    const done = await client.waitOperation(res.operation!.id);
    expect(done.status).toBe("Success");
    expect((await client.get<{ name: string }>(`/1.0/projects/${to}`, { project: null })).value.name).toBe(to);
  });

  test("error: Incus's text and status, whatever the kind", async () => {
    const err = await expectRejection(client.get("/1.0/profiles/does-not-exist", { project }));
    expect(err).toBeInstanceOf(IncusError);
    expect(isNotFound(err)).toBe(true);
    expect((err as IncusError).incusMessage).toMatch(/Profile not found/);
    expect(err.message).toBe(`GET /1.0/profiles/does-not-exist?project=${project}: ${(err as IncusError).incusMessage} (HTTP 404)`);
  });
});

describe("error statuses", () => {
  test("404 for an unknown URL", async () => {
    const err = (await expectRejection(client.get("/1.0/no-such-thing", { project: null }))) as IncusError;
    expect(err.status).toBe(404);
    expect(err.isNotFound).toBe(true);
  });

  test("409 already exists (storage volume)", async () => {
    const name = unique("vol");
    const path = "/1.0/storage-pools/default/volumes/custom";
    await client.post(path, { name, config: {} }, { project });
    const err = (await expectRejection(client.post(path, { name, config: {} }, { project }))) as IncusError;
    expect(err.status).toBe(409);
    expect(err.isAlreadyExists).toBe(true);
  });

  test("500 already exists (profile and project) is still recognised", async () => {
    const name = unique("dup");
    await makeProfile(name);
    const err = (await expectRejection(makeProfile(name))) as IncusError;
    expect(err.status).toBe(500);
    expect(err.incusMessage).toMatch(/already exists/);
    expect(isAlreadyExists(err)).toBe(true);

    const projectErr = (await expectRejection(createProject(client, project))) as IncusError;
    expect(projectErr.status).toBe(500);
    expect(projectErr.isAlreadyExists).toBe(true);
  });

  test("400 already exists (network ACL) is still recognised", async () => {
    // features.networks is off in our project, so ACLs live in the default project.
    const name = unique("acl");
    await client.post("/1.0/network-acls", { name, ingress: [], egress: [] }, { project: "default" });
    cleanups.push(() => client.delete(`/1.0/network-acls/${name}`, { project: "default" }));
    const err = (await expectRejection(client.post("/1.0/network-acls", { name }, { project: "default" }))) as IncusError;
    expect(err.status).toBe(400);
    expect(err.isAlreadyExists).toBe(true);
  });

  test("400 validation errors carry Incus's explanation", async () => {
    const badKey = (await expectRejection(
      client.post("/1.0/projects", { name: unique("bad"), config: { "bogus.key": "1" } }, { project: null }),
    )) as IncusError;
    expect(badKey.status).toBe(400);
    expect(badKey.incusMessage).toMatch(/Invalid project configuration key "bogus.key"/);
    expect(badKey.isAlreadyExists).toBe(false);

    const number = (await expectRejection(client.post("/1.0/profiles", { name: unique("num"), config: { "limits.cpu": 2 } }, { project }))) as IncusError;
    expect(number.status).toBe(400);
    expect(number.incusMessage).toMatch(/cannot unmarshal number/);
  });

  test("501 for a method the URL does not take", async () => {
    const err = (await expectRejection(client.post("/1.0/storage-pools/default", {}, { project: null }))) as IncusError;
    expect(err.status).toBe(501);
    expect(err.isNotImplemented).toBe(true);
  });
});

describe("ETags", () => {
  test("get returns the ETag; a PUT with it succeeds, a stale one gets 412", async () => {
    const p = await makeProfile(unique("etag"));
    const first = await client.get<Profile>(p, { project });
    expect(first.etag).toMatch(/^"?[0-9a-f]{64}"?$/);
    await client.put(p, { ...first.value, config: { "user.step": "1" } }, { project, etag: first.etag });
    const second = await client.get<Profile>(p, { project });
    expect(second.etag).not.toBe(first.etag);
    expect(second.value.config).toEqual({ "user.step": "1" });

    const err = (await expectRejection(client.put(p, { ...first.value, config: { "user.step": "stale" } }, { project, etag: first.etag }))) as IncusError;
    expect(isPreconditionFailed(err)).toBe(true);
    expect(err.incusMessage).toMatch(/ETag doesn't match/);
    expect((await client.get<Profile>(p, { project })).value.config).toEqual({ "user.step": "1" });
  });

  test("update() retries after a concurrent write and keeps the other writer's change", async () => {
    const p = await makeProfile(unique("race"), { "user.kept": "yes" });
    const writerB = new IncusClient(client.endpoint, { events: false });
    const log = captureRequests();
    const seen: string[] = [];
    try {
      const result = await client.update<Profile>(
        p,
        async (live) => {
          seen.push(live.description);
          // Writer B changes the description between writer A's read and write.
          if (seen.length === 1) await writerB.update<Profile>(p, (b) => ({ ...b, description: "changed by B" }), { project });
          return { description: live.description, devices: live.devices, config: { ...live.config, "user.a": "1" } };
        },
        { project },
      );
      expect(result).toEqual({ written: true, attempts: 2 });
    } finally {
      log.stop();
    }
    expect(seen).toEqual(["", "changed by B"]);
    const final = (await client.get<Profile>(p, { project })).value;
    expect(final.description).toBe("changed by B");
    expect(final.config).toEqual({ "user.kept": "yes", "user.a": "1" });
    // A's first PUT (412), B's PUT, A's second PUT.
    expect(log.lines().filter((l) => l === `PUT ${p}?project=${project}`)).toHaveLength(3);
  });

  test("update() writes nothing when build says so, and gives up after its retries", async () => {
    const p = await makeProfile(unique("noop"));
    expect(await client.update<Profile>(p, () => undefined, { project })).toEqual({ written: false, attempts: 1 });

    let attempts = 0;
    const err = await expectRejection(
      client.update<Profile>(
        p,
        async (live) => {
          attempts++;
          await client.put(p, { ...live, description: `interloper ${attempts}` }, { project });
          return { ...live, description: "never lands" };
        },
        { project, retries: 1 },
      ),
    );
    expect(isPreconditionFailed(err)).toBe(true);
    expect(attempts).toBe(2);
    expect((await client.get<Profile>(p, { project })).value.description).toBe("interloper 2");
  });
});

describe("lists and filters", () => {
  test("recursion=1 lists, exact-match filter fields, raw filter expressions, all projects", async () => {
    const web = unique("web");
    const db = unique("db");
    await makeProfile(web, { "user.role": "web" });
    await makeProfile(db, { "user.role": "db" });

    const all = await client.list<Profile>("/1.0/profiles", { project });
    expect(all.map((p) => p.name)).toEqual(expect.arrayContaining(["default", web, db]));
    expect(all.every((p) => typeof p.config === "object")).toBe(true);

    const webOnly = await client.list<Profile>("/1.0/profiles", { project, filter: { "config.user.role": "web" } });
    expect(webOnly.map((p) => p.name)).toEqual([web]);
    // Exact: neither a prefix nor another case matches.
    expect(await client.list("/1.0/profiles", { project, filter: { "config.user.role": "we" } })).toEqual([]);
    expect(await client.list("/1.0/profiles", { project, filter: { "config.user.role": "WEB" } })).toEqual([]);

    const either = await client.list<Profile>("/1.0/profiles", {
      project,
      filter: "config.user.role eq web or config.user.role eq db",
    });
    expect(either.map((p) => p.name).sort()).toEqual([db, web].sort());

    const everywhere = await client.list<Profile>("/1.0/profiles", { allProjects: true, filter: { name: web } });
    expect(everywhere.map((p) => [p.name, p.project])).toEqual([[web, project]]);
    const defaults = await client.list<Profile>("/1.0/profiles", { allProjects: true, filter: { name: "default" } });
    expect(defaults.map((p) => p.project)).toEqual(expect.arrayContaining(["default", project]));
  });

  test("an invalid filter is a 400 with the parser's text", async () => {
    const err = (await expectRejection(client.list("/1.0/profiles", { project, filter: "name eq" }))) as IncusError;
    expect(err.status).toBe(400);
    expect(err.incusMessage).toMatch(/Invalid filter/);
  });
});

describe("streamed uploads and downloads", () => {
  const tarball = path.join(process.env.HOME ?? "/root", ".cache/pulumi-incus/images/busybox.tar.gz");

  test("an image tarball streams in from its file and back out through export, byte for byte", async () => {
    const expected = createHash("sha256").update(fs.readFileSync(tarball)).digest("hex");
    const alias = unique("img");
    const progress: Array<Record<string, unknown>> = [];
    const res = await client.upload<unknown>("/1.0/images", tarball, {
      project,
      headers: { "X-Incus-fingerprint": expected, "X-Incus-aliases": `alias=${alias}`, "X-Incus-filename": "busybox.tar.gz" },
      onProgress: (m) => progress.push(m),
    });
    cleanups.push(() => client.delete(`/1.0/images/${expected}`, { project }));
    expect(res.operation?.status).toBe("Success");
    expect(res.operation?.metadata).toMatchObject({ fingerprint: expected });
    const image = await client.get<{ fingerprint: string; filename: string; aliases: Array<{ name: string }> }>(`/1.0/images/${expected}`, { project });
    expect(image.value.filename).toBe("busybox.tar.gz");
    expect(image.value.aliases.map((a) => a.name)).toEqual([alias]);

    const download = await client.download(`/1.0/images/${expected}/export`, { project });
    expect(download.stream).toBeInstanceOf(Readable);
    expect(download.size).toBe(fs.statSync(tarball).size);
    const out = path.join(tempDir("export"), "image.tar.gz");
    await pipeline(download.stream, fs.createWriteStream(out));
    expect(createHash("sha256").update(fs.readFileSync(out)).digest("hex")).toBe(expected);

    // The same bytes again: 202, then the operation fails with Incus's text.
    const dup = (await expectRejection(client.upload("/1.0/images", fs.createReadStream(tarball), { project }))) as IncusError;
    expect(dup.incusMessage).toMatch(/Image with same fingerprint already exists/);
    expect(dup.isAlreadyExists).toBe(true);
  });

  test("a download of something missing throws the error envelope's text", async () => {
    const err = (await expectRejection(client.download(`/1.0/images/${"0".repeat(64)}/export`, { project }))) as IncusError;
    expect(err.status).toBe(404);
    expect(err.incusMessage).toMatch(/not found/i);
  });

  test("an upload from a bare stream: no length known, still streamed", async () => {
    // A generator-backed stream makes the body chunked; the image store reads all 1 MiB, then rejects it.
    let produced = 0;
    const junk = Readable.from(
      (function* () {
        for (let i = 0; i < 64; i++, produced++) yield Buffer.alloc(16 * 1024, i);
      })(),
    );
    const err = (await expectRejection(client.upload("/1.0/images", junk, { project }))) as IncusError;
    expect(err).toBeInstanceOf(IncusError);
    expect(err.incusMessage).toBe("Unsupported compression");
    expect(err.path).toBe("/1.0/images (Downloading image)");
    expect(produced).toBe(64);
    expect(junk.destroyed).toBe(true);
  });
});

test("the test image the other suites use is there", async () => {
  const alias = await client.get<{ target: string }>(`/1.0/images/aliases/${IMAGE_ALIAS}`, { project: "default" });
  expect(alias.value.target).toMatch(/^[0-9a-f]{64}$/);
});
