// `pulumi refresh` of stacks that hold reads (`Kind.get` in TypeScript, `get:` in YAML) next to a resource built on
// one, through the real CLI, as GitOps pipelines run it before every `up`: the refresh reads each object again (a
// change made by hand shows in the read's outputs), fails nothing and prints no stack trace, and the next `up`
// writes nothing.
import * as path from "node:path";
import { dropTestProject, incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const P = `pie-rr-${uniqueSuffix().slice(-8)}`;
const stacks: TestStack[] = [];

beforeAll(() => {
  incus("project", "create", P, "-c", "features.images=false");
  incus("profile", "create", "base", "--project", P);
  incus("profile", "set", "base", "limits.cpu=1", "--project", P);
  incus("storage", "volume", "create", "default", "data", "--project", P);
});

afterAll(async () => {
  for (const t of stacks) await t.cleanup().catch(() => undefined);
  if (incusJson(`/1.0/projects/${P}`)) await dropTestProject(P);
});

/** Up, a hand edit of the read object, refresh, then a no-op up: what each step did and printed. */
async function upRefreshUp(t: TestStack, resource: string) {
  incus("profile", "unset", "base", "user.note", "--project", P);
  const printed: string[] = [];
  const keep = (text: string) => void printed.push(text);
  const up = await t.stack.up({ onOutput: keep });
  expect(up.outputs.baseConfig.value).toEqual({ "limits.cpu": "1" });

  incus("profile", "set", "base", "user.note=by-hand", "--project", P);
  const refresh = await t.stack.refresh({ onOutput: keep });
  expect(refresh.summary.result).toBe("succeeded");
  expect(refresh.summary.resourceChanges?.delete).toBeUndefined();
  // The read was read again: the state holds what the server has now.
  const resources = (await t.stack.exportStack()).deployment.resources as any[];
  const read = resources.find((r) => r.urn.endsWith(`::${resource}`));
  expect(read.external).toBe(true);
  expect(read.outputs.config).toEqual({ "limits.cpu": "1", "user.note": "by-hand" });

  t.takeRequests();
  const again = await t.stack.up({ onOutput: keep });
  expect(again.summary.resourceChanges?.create).toBeUndefined();
  expect(again.summary.resourceChanges?.update).toBeUndefined();
  expect(again.summary.resourceChanges?.delete).toBeUndefined();
  expect(t.writes(t.takeRequests())).toEqual([]);
  expect(again.outputs.baseConfig.value).toEqual({ "limits.cpu": "1", "user.note": "by-hand" });
  // No provider error or JavaScript stack trace on the way.
  const text = printed.join("");
  expect(text).not.toContain("Unexpected struct type");
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  return again;
}

test("TypeScript: Kind.get reads (a profile, a volume) survive refresh; the next up writes nothing", async () => {
  const t = await programStack(path.join(REPO, "tests", "e2e", "programs", "refresh-reads"), { project: P });
  stacks.push(t);
  const again = await upRefreshUp(t, "base");
  expect(again.outputs.dataPool.value).toBe("default");
  expect(again.outputs.webDescription.value).toBe("built on base");
  const volume = ((await t.stack.exportStack()).deployment.resources as any[]).find((r) => r.urn.endsWith("::data"));
  expect(volume.outputs).toMatchObject({ name: "data", pool: "default", project: P });

  // A value another resource computes is unknown in a preview: the line says so, never Pulumi's sentinel.
  await t.stack.setConfig("withNote", { value: "true" });
  const preview = await t.stack.preview();
  expect(preview.stdout).toContain(`Profile "web" in project "${P}": config["user.note"]: server has unset, program wants a value known after apply`);
  expect(preview.stdout).not.toContain("04da6b54");
  await t.stack.removeConfig("withNote");
  await t.stack.destroy();
  // A read is never deleted: only the profile the stack made goes.
  expect(incusJson(`/1.0/profiles/base?project=${P}`)).not.toBeNull();
  expect(incusJson(`/1.0/storage-pools/default/volumes/custom/data?project=${P}`)).not.toBeNull();
  expect(incusJson(`/1.0/profiles/web?project=${P}`)).toBeNull();
});

test("YAML: a `get:` read survives refresh; the next up writes nothing", async () => {
  useYamlHost();
  const t = await programStack(path.join(REPO, "tests", "e2e", "programs", "yaml-refresh-reads"), { project: P });
  stacks.push(t);
  const again = await upRefreshUp(t, "base");
  expect(again.outputs.webDescription.value).toBe("built on base");
  await t.stack.destroy();
  expect(incusJson(`/1.0/profiles/base?project=${P}`)).not.toBeNull();
  expect(incusJson(`/1.0/profiles/yweb?project=${P}`)).toBeNull();
});
