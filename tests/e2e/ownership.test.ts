// Ownership through the real CLI, with the package installed from its tarball the way users get it, plus a component
// library (`shared-lib`) that brings its own copy of the package, nested by npm under it (another version):
// - two copies in one program make one stack identity, and what state records for the library's resources resolves
//   by package name, so `refresh` and `destroy` still work after npm hoists the package;
// - `pulumi up --replace` of a same-name object deletes it first and the object exists afterwards (it used to be
//   taken over by the new half and then deleted with the old one); with `deleteBeforeReplace: false` the new half
//   takes it over and the old half's delete leaves it, also when many such deletes run at once and share one read;
// - a resource moved under a component without `aliases`, and two resources that give one object the same name, are
//   refused naming the resource that holds the object, which stays as it was.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, dropTestProject, incus, incusJson, packCheckout, REPO, uniqueSuffix } from "./harness";

jest.setTimeout(900_000);

const s = uniqueSuffix().slice(-8);
const P = `pio-${s}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-ownership-"));
const app = path.join(work, "app");
const lib = path.join(work, "lib");
const { env, run, takeWrites } = cliSession(work);

/** A pulumi command that must fail: its output. */
function fails(args: string[]): string {
  try {
    execFileSync("pulumi", args, { cwd: app, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ""}\n${e.stderr ?? ""}`;
  }
  throw new Error(`pulumi ${args.join(" ")} succeeded`);
}

const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], app);
const up = (...args: string[]) => pulumi("up", "--yes", "--skip-preview", ...args);

const PROGRAM = `const pulumi = require("@pulumi/pulumi");
const incus = require("pulumi-incus");
const lib = require("shared-lib");
const cfg = new pulumi.Config();
const project = cfg.require("project");
const layout = cfg.get("layout") || "flat";
class Group extends pulumi.ComponentResource {
  constructor(type, name) { super(type, name, {}, {}); }
}
const flatUrn = \`urn:pulumi:\${pulumi.getStack()}::\${pulumi.getProject()}::pulumi-nodejs:dynamic/incus:Profile::web\`;
const parent = layout === "flat" ? undefined : new Group("test:index:Group", "g");
new incus.Profile("web", { project, config: { "user.v": "1" } }, { parent, aliases: layout === "moved-aliased" ? [flatUrn] : undefined });
new incus.StorageVolume("data", { project, pool: "default", config: { "user.v": "1" } });
new incus.Profile("keep", { project, config: { "user.keep": "1" } }, { deleteBeforeReplace: false });
lib.profile("fromlib", project);
for (let i = 0; i < (cfg.getNumber("keeps") || 0); i++) {
  new incus.Profile(\`keep\${i}\`, { project, config: { "user.keep": String(i) } }, { deleteBeforeReplace: false });
}
if (cfg.getBoolean("duplicate")) {
  for (const type of ["test:index:Web", "test:index:Db"]) {
    new incus.Profile("shared", { project, name: "dup", config: { "user.by": type } }, { parent: new Group(type, "part") });
  }
}
`;

const LIB = `const incus = require("pulumi-incus");
exports.profile = (name, project) => new incus.Profile(name, { project, config: { "user.lib": "1" } });
`;

let tarball = "";

/** shared-lib, packed, depending on the given pulumi-incus tarball. */
function packLib(dependency: string): string {
  fs.writeFileSync(
    path.join(lib, "package.json"),
    JSON.stringify({ name: "shared-lib", version: "1.0.0", main: "index.js", dependencies: { "pulumi-incus": `file:${path.join(work, dependency)}` } }),
  );
  return JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], lib))[0].filename;
}

const profile = (name: string) => incusJson<{ config: Record<string, string> }>(`/1.0/profiles/${name}?project=${P}`);
const MARK = "user.pulumi-incus.stack";
const nested = () => path.join(app, "node_modules", "shared-lib", "node_modules", "pulumi-incus");

beforeAll(() => {
  tarball = packCheckout(work, run).filename;
  // The library's own copy: the same package under another version, so npm nests it under the library.
  const copy = path.join(work, "copy");
  fs.mkdirSync(copy);
  run("tar", ["xzf", path.join(work, tarball), "-C", copy], work);
  const manifest = path.join(copy, "package", "package.json");
  fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifest, "utf8")), version: "0.1.1-libcopy" }));
  const copyTarball = JSON.parse(run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], path.join(copy, "package")))[0].filename;
  fs.mkdirSync(lib);
  fs.writeFileSync(path.join(lib, "index.js"), LIB);
  const libTarball = packLib(copyTarball);

  fs.mkdirSync(app);
  const pulumiVersion = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).version;
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "ownership-test",
      private: true,
      dependencies: { "pulumi-incus": `file:../${tarball}`, "shared-lib": `file:../${libTarball}`, "@pulumi/pulumi": pulumiVersion },
    }),
  );
  fs.writeFileSync(path.join(app, "Pulumi.yaml"), "name: ownership-test\nruntime: nodejs\nmain: index.js\n");
  fs.writeFileSync(path.join(app, "index.js"), PROGRAM);
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], app);
  incus("project", "create", P, "-c", "features.profiles=true", "-c", "features.storage.volumes=true", "-c", "features.images=false");
  pulumi("stack", "init", "t");
  pulumi("config", "set", "project", P);
});

afterAll(async () => {
  try {
    if (fs.existsSync(path.join(app, "node_modules"))) pulumi("destroy", "--yes", "--skip-preview");
  } catch {
    // the test's own destroy already ran, or the stack was never created
  } finally {
    await dropTestProject(P);
    if (!process.env.PI_KEEP_WORK) fs.rmSync(work, { recursive: true, force: true });
  }
});

type Resource = { urn: string; type: string; inputs: Record<string, string>; outputs: Record<string, string> };
const resources = (): Resource[] => JSON.parse(pulumi("stack", "export")).deployment.resources;
const urnOf = (name: string) => resources().find((r) => r.urn.endsWith(`::${name}`))!.urn;

test("two copies of the package: one stack identity, and state that resolves by package name", () => {
  expect(fs.existsSync(nested())).toBe(true);
  expect(JSON.parse(fs.readFileSync(path.join(nested(), "package.json"), "utf8")).version).toBe("0.1.1-libcopy");
  up();
  const state = resources();
  expect(state.filter((r) => r.type.endsWith(":StackIdentity"))).toHaveLength(1);
  const fromLib = state.find((r) => r.urn.endsWith("::fromlib"))!;
  for (const props of [fromLib.inputs, fromLib.outputs]) {
    expect(props.__provider).toContain('require("pulumi-incus/dynamic/Profile")');
    expect(props.__provider).not.toContain("node_modules");
  }
  expect(profile("fromlib")?.config["user.lib"]).toBe("1");
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

test("pulumi up --replace of a same-name object deletes first, and the object is there afterwards", () => {
  const before = incusJson<{ config: Record<string, string> }>(`/1.0/storage-pools/default/volumes/custom/data?project=${P}`)!;
  const out = up("--replace", urnOf("data"));
  expect(out).toMatch(/replaced/);
  const after = incusJson<{ config: Record<string, string> }>(`/1.0/storage-pools/default/volumes/custom/data?project=${P}`);
  expect(after?.config["user.v"]).toBe("1");
  expect(after?.config[MARK]).not.toBe(before.config[MARK]); // a new object, with its own claim
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

test("with deleteBeforeReplace: false, --replace takes the object over and the old half's delete leaves it", () => {
  const out = up("--replace", urnOf("keep"));
  expect(out).toMatch(/not deleted: a newer create of this stack took the object over/);
  expect(profile("keep")?.config["user.keep"]).toBe("1");
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
  pulumi("refresh", "--yes", "--skip-preview");
  expect(profile("keep")).not.toBeNull();
});

test("many create-first replacements at once: the old halves' deletes (sharing their reads) each leave their object", () => {
  const N = 12;
  pulumi("config", "set", "keeps", String(N));
  up();
  const all = resources();
  const urns = Array.from({ length: N }, (_, i) => all.find((r) => r.urn.endsWith(`::keep${i}`))!.urn);
  const log = env.PULUMI_INCUS_REQUEST_LOG!;
  fs.truncateSync(log, 0);
  // The replacements' creates take the objects over, then Pulumi runs the N old halves' deletes together.
  const out = up(...urns.flatMap((u) => ["--replace", u]), "--parallel", String(3 * N));
  // Whether the deletes met in one list depends on the engine's timing (scale-reads counts it at 1,000); what must
  // hold either way: none deletes, each object keeps the new half's claim.
  const sent = fs.readFileSync(log, "utf8").split("\n");
  expect(sent.filter((l) => l.startsWith("DELETE "))).toEqual([]);
  const after = resources();
  for (let i = 0; i < N; i++) {
    expect(out).toContain(`Profile "keep${i}" in project "${P}": not deleted: a newer create of this stack took the object over`);
    const claim = after.find((r) => r.urn.endsWith(`::keep${i}`))!.outputs.__claim;
    expect(profile(`keep${i}`)?.config[MARK]).toMatch(new RegExp(` #${claim}$`)); // the new half's claim
  }
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
  pulumi("config", "rm", "keeps");
  up();
  for (let i = 0; i < N; i++) expect(profile(`keep${i}`)).toBeNull();
});

test("a resource moved under a component without aliases is refused, naming the holder; with aliases it is the same", () => {
  const made = profile("web");
  pulumi("config", "set", "layout", "moved");
  const out = fails(["up", "--yes", "--skip-preview", "--non-interactive"]);
  expect(out).toMatch(
    /it already exists and belongs to another resource of this stack, urn:pulumi:t::ownership-test::pulumi-nodejs:dynamic\/incus:Profile::web/,
  );
  expect(out).toMatch(/add `aliases`/);
  expect(profile("web")).toEqual(made);
  pulumi("config", "set", "layout", "moved-aliased");
  takeWrites();
  up();
  expect(takeWrites()).toEqual([]); // no create, no delete: the same profile under its new URN
  expect(profile("web")).toEqual(made);
});

test("two resources that give one object the same name: the second is refused, every time, and nothing flips", () => {
  pulumi("config", "set", "duplicate", "true");
  const first = fails(["up", "--yes", "--skip-preview", "--non-interactive"]);
  expect(first).toMatch(
    /it already exists and belongs to another resource of this stack, urn:pulumi:t::ownership-test::test:index:(Web|Db)\$pulumi-nodejs:dynamic\/incus:Profile::shared/,
  );
  const held = profile("dup");
  takeWrites();
  const second = fails(["up", "--yes", "--skip-preview", "--non-interactive"]);
  expect(second).toMatch(/belongs to another resource of this stack/);
  expect(takeWrites()).toEqual([`POST /1.0/profiles?project=${P}`]); // the refused create, nothing else
  expect(profile("dup")).toEqual(held);
  pulumi("config", "set", "duplicate", "false");
  up();
  expect(profile("dup")).toBeNull();
});

test("after npm hoists the package (the library's copy goes), refresh and destroy work", () => {
  const hoisted = packLib(tarball);
  run("npm", ["install", `file:../${hoisted}`, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], app);
  expect(fs.existsSync(nested())).toBe(false);
  pulumi("refresh", "--yes", "--skip-preview");
  takeWrites();
  up("--expect-no-changes");
  expect(takeWrites()).toEqual([]);
  pulumi("destroy", "--yes", "--skip-preview");
  expect(incusJson(`/1.0/profiles?project=${P}&recursion=1`)).toEqual([expect.objectContaining({ name: "default" })]);
  expect(incusJson(`/1.0/storage-pools/default/volumes/custom/data?project=${P}`)).toBeNull();
});
