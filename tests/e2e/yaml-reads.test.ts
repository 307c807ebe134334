// The YAML path's refresh and destroy through the real CLI, counted in requests (issue 28, goal 4): a Pulumi YAML
// program of 100 profiles served by the `incus` plugin, refreshed by a plugin short of CPU, as on a loaded machine.
// A refresh sends only reads, one list of the kind (one walk, however long the plugin takes to answer it); a destroy
// sends one DELETE per profile and no per-object read.
//
// The plugin is the checkout's, started by a launcher of this test that, while the file `starve` is in its
// directory, makes each protocol Struct it builds cost 100 ms (a plugin with little CPU: the answers to the reads one
// list served keep it busy for seconds while the engine's next reads wait, 20 at a time). Before the read cache
// measured pauses in idle time, each such stretch ended the walk and the next reads sent a list again.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, IncusClient } from "pulumi-incus/provider";
import { dropTestProject, incusJson, programStack, REPO, type TestStack, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

const N = 100;
/** Reads the engine has in flight during the refresh. */
const PARALLEL = 20;
const P = `pyr-${uniqueSuffix().slice(-8)}`;
const client = new IncusClient();
let t: TestStack;
let dir: string;

/** The checkout's plugin behind a launcher that slows every protocol Struct it builds by `spinMs`, while `starve` is there. */
function starvedPlugin(into: string, spinMs: number): string {
  const plugin = path.join(into, "plugin");
  fs.mkdirSync(plugin);
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [REPO] }));
  const structs = require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] });
  fs.writeFileSync(
    path.join(plugin, "starve.js"),
    `const s = require(${JSON.stringify(structs)}).Struct;\nconst from = s.fromJavaScript;\n` +
      `const on = require("node:fs").existsSync(${JSON.stringify(path.join(plugin, "starve"))});\n` +
      `s.fromJavaScript = function (v) { const end = Date.now() + (on ? ${spinMs} : 0); while (Date.now() < end); return from.call(this, v); };\n`,
  );
  const launcher = path.join(plugin, "pulumi-resource-incus");
  const main = path.join(REPO, "dist", "provider", "plugin", "main.js");
  fs.writeFileSync(launcher, `#!/bin/sh\nexec node --require "${path.join(plugin, "starve.js")}" "${main}" "$@"\n`);
  fs.chmodSync(launcher, 0o755);
  return plugin;
}

beforeAll(async () => {
  useYamlHost();
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-yaml-reads-"));
  const lines = [
    "name: pulumi-incus-yaml-reads",
    "runtime: yaml",
    `packages:\n  incus: ${starvedPlugin(dir, 100)}`,
    "config:\n  project:\n    type: string",
    "resources:",
  ];
  for (let i = 0; i < N; i++)
    lines.push(
      `  p${i}:\n    type: incus:index:Profile\n    properties:\n      project: \${project}\n      name: y-${i}\n      config:\n        user.index: "${i}"`,
    );
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${lines.join("\n")}\n`);
  t = await programStack(dir, { project: P });
  process.env.PULUMI_SKIP_CHECKPOINTS = "true"; // requests are counted here, not the engine's checkpoints
  const up = await t.stack.up({ parallel: N });
  expect(up.summary.resourceChanges).toEqual({ create: N + 1 }); // and the stack
}, 600_000);

afterAll(async () => {
  delete process.env.PULUMI_SKIP_CHECKPOINTS;
  if (incusJson(`/1.0/projects/${P}`)) await dropTestProject(P);
  await t?.cleanup(true).catch(() => undefined);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await closeAllPools();
});

const gets = (lines: string[]) => lines.filter((l) => l.startsWith("GET ") && !l.startsWith("GET /1.0/events"));

test("refresh of 100 YAML profiles by a starved plugin: reads only, one list of the kind", async () => {
  t.takeRequests();
  const starve = path.join(dir, "plugin", "starve");
  fs.writeFileSync(starve, "");
  try {
    expect((await t.stack.refresh({ parallel: PARALLEL })).summary.result).toBe("succeeded");
  } finally {
    fs.rmSync(starve);
  }
  const lines = t.takeRequests();
  expect(t.writes(lines)).toEqual([]);
  expect(gets(lines).filter((l) => /[?&]recursion=/.test(l))).toEqual([`GET /1.0/profiles?project=${P}&recursion=1`]);
  // The first object's own GET (a walk starts with the second read), and the server's /1.0 at most.
  expect(gets(lines).filter((l) => !/[?&]recursion=/.test(l)).length).toBeLessThanOrEqual(2);
});

test("destroy of 100 YAML profiles: one DELETE each, no read of each object", async () => {
  t.takeRequests();
  expect((await t.stack.destroy({ parallel: N })).summary.resourceChanges).toEqual({ delete: N + 1 });
  const lines = t.takeRequests();
  const deletes = t.writes(lines);
  expect(deletes.length).toBe(N);
  expect(new Set(deletes).size).toBe(N);
  expect(deletes.every((l) => l.startsWith("DELETE /1.0/profiles/y-") && l.endsWith(`?project=${P}`))).toBe(true);
  // No GET of a profile (the plugin marks no owner unless asked, so nothing is checked before each DELETE).
  expect(gets(lines).filter((l) => l.startsWith("GET /1.0/profiles"))).toEqual([]);
  const left = (await client.list<{ name: string }>("/1.0/profiles", { project: P })).filter((p) => p.name.startsWith("y-"));
  expect(left).toEqual([]);
});
