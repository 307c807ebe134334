// Lookups through the real Pulumi CLI (tests/e2e/programs/lookups): the program reads the default profile and the
// test image by its alias (getProfileOutput, getImage) and a list of instances (getInstancesOutput), and feeds them
// into resources. Lookups run in the program's process with the stack's incus:* settings, in previews too (reads
// only), and fail the run with a message naming the missing object.
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-8);
const P = `pie-lk-${s}`;
const SOCKET = "/var/lib/incus/unix.socket";
const client = new IncusClient();
const busybox = incusJson<{ target: string }>("/1.0/images/aliases/pulumi-incus/busybox")!.target;
let t: TestStack;

/** The error text of a failed run (the Automation API puts the CLI's output in it). */
async function failure(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (err) {
    return String((err as Error).message);
  }
  throw new Error("the run succeeded");
}

beforeAll(async () => {
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "lookups"), { "incus:project": P, "incus:socket": SOCKET });
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await deleteProjectAndContents(client, P).catch(() => undefined);
  await closeAllPools();
});

test("preview runs the lookups (reads only) and plans the resources built on them", async () => {
  const preview = await t.stack.preview();
  expect(preview.changeSummary).toEqual({ create: 4 }); // the stack, its identity, profile, instance (lookups are no resources)
  const requests = t.takeRequests();
  expect(t.writes(requests)).toEqual([]);
  // The program's own reads: the alias, then the image; the default profile of the default project.
  expect(requests).toEqual(
    expect.arrayContaining([`GET /1.0/images/aliases/pulumi-incus%2Fbusybox`, `GET /1.0/images/${busybox}`, "GET /1.0/profiles/default"]),
  );
});

test("up feeds what the lookups found into resources; the list lookup finds the instance once it exists", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ create: 4 });
  const outputs = Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value]));
  const base = incusJson<{ devices: { root: { pool: string } } }>("/1.0/profiles/default")!;
  expect(outputs).toEqual({
    imageFingerprint: busybox,
    imageAliases: ["pulumi-incus/busybox"],
    baseProject: "default",
    webDescription: "root disk of default/default",
    webRootPool: base.devices.root.pool,
    boxImage: busybox,
    boxStatus: "Stopped",
    listed: [`box:Stopped:${busybox}`],
    listedByConfig: 1,
  });
  // incus:project from stack config placed the resources, as it pointed the lookups.
  expect(incusJson(`/1.0/profiles/web?project=${P}`)).toMatchObject({ config: { "user.image": busybox }, devices: { root: base.devices.root } });
  expect(incusJson(`/1.0/instances/box?project=${P}`)).toMatchObject({ status: "Stopped", profiles: ["web"] });
  t.takeRequests();
});

test("a second up reads again, changes nothing and writes nothing", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 4 });
  const requests = t.takeRequests();
  expect(requests).toEqual(expect.arrayContaining([`GET /1.0/images/${busybox}`, "GET /1.0/profiles/default"]));
  expect(t.writes(requests)).toEqual([]);
});

test("a lookup of a missing object fails the preview with the kind, the name and the project", async () => {
  await t.stack.setConfig("missingProfile", { value: `nope-${s}` });
  try {
    const message = await failure(t.stack.preview());
    expect(message).toContain(`getProfile: Profile "nope-${s}" in project "${P}" does not exist`);
    expect(t.writes(t.takeRequests())).toEqual([]);
  } finally {
    await t.stack.removeConfig("missingProfile");
  }
});

test("lookups use the stack's incus:socket, as resources do", async () => {
  await t.stack.setConfig("incus:socket", { value: "/nonexistent/incus.socket" });
  try {
    const message = await failure(t.stack.preview());
    expect(message).toContain("/nonexistent/incus.socket");
  } finally {
    await t.stack.setConfig("incus:socket", { value: SOCKET });
  }
  const preview = await t.stack.preview();
  expect(preview.changeSummary).toEqual({ same: 4 });
});
