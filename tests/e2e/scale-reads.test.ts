// A stack of 1,000 profiles through the real CLI engine (issue 28): a preview, a no-change `up` and a refresh send
// only reads, and one list of the kind answers the whole walk (a GET of the first object, then one
// `GET /1.0/profiles?recursion=1` of the project), however long the walk takes. The up and the destroy, each with all
// 1,000 at once, share their reads: of the project (checks and creates), of the profiles (the deletes' ownership
// check). The program is examples/bench-profiles, installed from the packed package as users get it; and the same
// profiles as a Pulumi YAML program served by the `incus` plugin (the checkout's build), whose reads go through the
// same read cache.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, IncusClient } from "pulumi-incus/provider";
import { dropTestProject, incusJson, installPackage, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(1_800_000);

const N = 1000;
const P = `psr-${uniqueSuffix().slice(-8)}`;
const client = new IncusClient();
let t: TestStack;
let y: TestStack;
let dir: string;
/** The requests of the first `up` (1,000 creates at once). */
let firstUp: string[] = [];
let yamlDir: string;

beforeAll(async () => {
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-scale-reads-"));
  fs.copyFileSync(path.join(REPO, "dist", "examples", "bench-profiles", "index.js"), path.join(dir, "index.js"));
  const manifest = fs.readFileSync(path.join(REPO, "examples", "bench-profiles", "Pulumi.yaml"), "utf8").replace(/^main: .*$/m, "main: index.js");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), manifest);
  installPackage(dir, "scale-reads");
  t = await programStack(dir, { project: P, prefix: "s", count: String(N) });
  // The engine writes its whole state after every step (minutes at 1,000 objects on 2 cores): this suite counts
  // requests, not time, so it skips those checkpoints (the state is written at the end of each command), and the
  // first up runs every create at once.
  process.env.PULUMI_SKIP_CHECKPOINTS = "true";
  t.takeRequests();
  const up = await t.stack.up({ parallel: N });
  expect(up.summary.resourceChanges).toEqual({ create: N + 2 }); // and the stack and its identity
  firstUp = t.takeRequests();
  // The YAML program: YAML has no loops, so each profile is written out.
  useYamlHost();
  yamlDir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-scale-reads-yaml-"));
  const lines = ["name: scale-reads-yaml", "runtime: yaml", `packages:\n  incus: ${path.join(REPO, "provider", "plugin", "incus")}`, "resources:"];
  for (let i = 0; i < N; i++)
    lines.push(`  p${i}:\n    type: incus:index:Profile\n    properties:\n      project: ${P}\n      name: y-${i}\n      config:\n        user.index: "${i}"`);
  fs.writeFileSync(path.join(yamlDir, "Pulumi.yaml"), `${lines.join("\n")}\n`);
  y = await programStack(yamlDir);
  expect((await y.stack.up({ parallel: N })).summary.resourceChanges).toEqual({ create: N + 1 }); // and the stack
});

afterAll(async () => {
  delete process.env.PULUMI_SKIP_CHECKPOINTS;
  // What the stack made goes with the project (a destroy of 1,000 objects would only cost time here).
  if (incusJson(`/1.0/projects/${P}`)) await dropTestProject(P);
  await t?.cleanup(true).catch(() => undefined);
  await y?.cleanup(true).catch(() => undefined);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (yamlDir) fs.rmSync(yamlDir, { recursive: true, force: true });
  await closeAllPools();
});

/** The requests of one command, grouped: writes, lists, GETs of one object. */
function sent(lines: string[]) {
  const gets = lines.filter((l) => l.startsWith("GET ") && !l.startsWith("GET /1.0/events"));
  return {
    writes: lines.filter((l) => !l.startsWith("GET ")),
    lists: gets.filter((l) => /[?&]recursion=/.test(l)),
    singles: gets.filter((l) => !/[?&]recursion=/.test(l)),
  };
}

test("an up of 1,000 at once: a POST each, and the checks and creates share reads of their project", () => {
  expect(firstUp.filter((l) => l.startsWith("POST /1.0/profiles"))).toHaveLength(N);
  // Each check and each create asks whether the project serves its own profiles: 2,000 GETs when each read alone.
  const projectReads = firstUp.filter((l) => l.startsWith(`GET /1.0/projects/${P}`));
  // Only calls under way together share one (the engine sends checks one after another): 1,206 on an idle machine.
  expect(projectReads.length).toBeGreaterThan(0);
  expect(projectReads.length).toBeLessThan(2 * N);
});

test.each(["preview", "no-change up", "refresh"])("%s of 1,000 profiles: reads only, one list of the kind", async (step) => {
  t.takeRequests();
  if (step === "preview") expect((await t.stack.preview()).changeSummary).toEqual({ same: N + 2 });
  if (step === "no-change up") expect((await t.stack.up()).summary.resourceChanges).toEqual({ same: N + 2 });
  // All 1,000 reads at once: each diff that follows its read comes seconds later on a busy machine.
  if (step === "refresh") expect((await t.stack.refresh({ parallel: N })).summary.result).toBe("succeeded");
  const { writes, lists, singles } = sent(t.takeRequests());
  expect(writes).toEqual([]);
  expect(lists).toEqual([`GET /1.0/profiles?project=${P}&recursion=1`]);
  // The first object's own GET (a walk starts with the second read), and the server's /1.0 at most.
  expect(singles.length).toBeLessThanOrEqual(3);
});

test.each(["preview", "no-change up", "refresh"])("%s of 1,000 profiles in Pulumi YAML (the plugin): reads only, one list of the kind", async (step) => {
  y.takeRequests();
  if (step === "preview") expect((await y.stack.preview()).changeSummary).toEqual({ same: N + 1 });
  if (step === "no-change up") expect((await y.stack.up()).summary.resourceChanges).toEqual({ same: N + 1 });
  if (step === "refresh") expect((await y.stack.refresh({ parallel: N })).summary.result).toBe("succeeded");
  const { writes, lists, singles } = sent(y.takeRequests());
  expect(writes).toEqual([]);
  expect(lists).toEqual([`GET /1.0/profiles?project=${P}&recursion=1`]);
  expect(singles.length).toBeLessThanOrEqual(3);
});

test("destroy of 1,000 at once: a DELETE each, and their ownership reads shared (a few lists, not a GET each)", async () => {
  t.takeRequests();
  expect((await t.stack.destroy({ parallel: N })).summary.resourceChanges).toEqual({ delete: N + 2 });
  const lines = t.takeRequests();
  const { writes, lists, singles } = sent(lines);
  expect(writes.filter((l) => l.startsWith("DELETE /1.0/profiles/"))).toHaveLength(N);
  expect(writes.length).toBe(N);
  expect(lists.length).toBeGreaterThan(0);
  expect(lists.length + singles.length).toBeLessThanOrEqual(100);
  const left = incusJson(`/1.0/profiles?project=${P}&recursion=1`) as { name: string }[];
  expect(left.map((p) => p.name).filter((n) => !n.startsWith("y-"))).toEqual(["default"]); // the YAML stack's stay
});
