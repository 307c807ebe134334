// The owner mark is on by default and names the stack instance, not just its names: two stacks with the same org,
// project, stack and resource names but separate state backends (two developers' local file backends) against one
// Incus server do not share an object. The second is refused ("already exists … adopt") and the first's object is
// left as it was, also when the second stack is destroyed.
import * as path from "node:path";
import { incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const PROGRAM = path.join(REPO, "tests", "e2e", "programs", "declared");
const P = `pi-owner-${uniqueSuffix()}`;
const STACK = `t${uniqueSuffix()}`;
const MARK = "user.pulumi-incus.stack";
// The same program for both (they share the program directory, so its Pulumi.<stack>.yaml, as two checkouts would
// hold the same file).
const RESOURCES = JSON.stringify([{ kind: "Profile", name: "shared", args: { project: P, name: "shared", config: { "user.from": "a" } } }]);
const profile = () => incusJson(`/1.0/profiles/shared?project=${P}`);

let a: TestStack | undefined;
let b: TestStack | undefined;

beforeAll(() => {
  incus("project", "create", P, "-c", "features.profiles=true", "-c", "features.images=false");
});

afterAll(async () => {
  await b?.cleanup().catch(() => undefined);
  await a?.cleanup().catch(() => undefined);
  if (profile()) incus("profile", "delete", "shared", "--project", P);
  incus("project", "delete", P);
}, 300_000);

test("same names, separate backends: the second stack is refused and the first's object is untouched", async () => {
  a = await programStack(PROGRAM, { resources: RESOURCES }, STACK);
  const upA = await a.stack.up();
  expect(upA.summary.resourceChanges).toEqual({ create: 3 }); // the stack, its identity, the profile
  const state = (await a.stack.exportStack()).deployment.resources as { type: string; id?: string }[];
  const identity = state.find((r) => r.type === "pulumi-nodejs:dynamic/incus:StackIdentity");
  expect(identity?.id).toMatch(/^[0-9a-f-]{36}$/);
  const made = profile();
  const urn = `urn:pulumi:${STACK}::pulumi-incus-e2e-declared::pulumi-nodejs:dynamic/incus:Profile::shared`;
  expect(made.config).toEqual({
    "user.from": "a",
    [MARK]: expect.stringMatching(new RegExp(`^organization/pulumi-incus-e2e-declared/${STACK}/${identity!.id}::${urn.replace(/\$/g, "\\$")} #[0-9a-f]{12}$`)),
  });

  b = await programStack(PROGRAM, { resources: RESOURCES }, STACK);
  expect(b.stack.name).toBe(a.stack.name);
  b.takeRequests();
  const upB = b.stack.up();
  await expect(upB).rejects.toThrow(/Profile "shared" in project "pi-owner-[^"]+": it already exists; set `adopt: true`/);
  expect(b.writes(b.takeRequests())).toEqual([`POST /1.0/profiles?project=${P}`]);
  expect(profile()).toEqual(made);

  // B recorded no profile, so its destroy leaves A's alone; A still owns and manages it.
  const recordedB = ((await b.stack.exportStack()).deployment.resources ?? []) as { type: string }[];
  expect(recordedB.filter((r) => r.type === "pulumi-nodejs:dynamic/incus:Profile")).toEqual([]);
  await b.stack.destroy();
  expect(b.writes(b.takeRequests())).toEqual([]);
  expect(profile()).toEqual(made);
  a.takeRequests();
  const again = await a.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 3 });
  expect(a.writes(a.takeRequests())).toEqual([]);
  await a.stack.destroy();
  expect(profile()).toBeNull();
});

test("a stack made without the mark gets its identity on the next up; its resources do not change", async () => {
  // As a stack from before the mark was on by default: no identity, objects without marks.
  const plain = JSON.stringify([{ kind: "Profile", name: "plain", args: { project: P, name: "plain", config: { "user.x": "1" } } }]);
  const c = await programStack(PROGRAM, { resources: plain, "incus:markOwner": "false" });
  try {
    expect((await c.stack.up()).summary.resourceChanges).toEqual({ create: 2 }); // the stack, the profile
    expect(incusJson(`/1.0/profiles/plain?project=${P}`).config).toEqual({ "user.x": "1" });
    await c.stack.removeConfig("incus:markOwner");
    c.takeRequests();
    const preview = await c.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ create: 1, same: 2 });
    expect(preview.stdout).toContain("pulumi-nodejs:dynamic/incus:StackIdentity: (create)");
    const up = await c.stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: 1, same: 2 });
    expect(c.writes(c.takeRequests())).toEqual([]);
    expect(incusJson(`/1.0/profiles/plain?project=${P}`).config).toEqual({ "user.x": "1" });
    expect((await c.stack.preview()).changeSummary).toEqual({ same: 3 });
    expect((await c.stack.destroy()).summary.resourceChanges).toEqual({ delete: 3 });
    expect(incusJson(`/1.0/profiles/plain?project=${P}`)).toBeNull();
  } finally {
    await c.cleanup();
  }
});
