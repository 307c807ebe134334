// What users get: the npm tarball packed from this checkout (its prepack build included), installed into a program
// outside the repository (its own package.json, no self-link, no path mapping), type-checked against the shipped
// declarations and deployed through the real Pulumi CLI: up, an up that must change nothing, destroy. And a
// plain-JavaScript program that only requires the package.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, dropTestProject, incusJson, packCheckout, REPO, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-8);
const projectName = `pit-${s}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-tarball-"));
const app = path.join(work, "app");
let packed: { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] };
const { run, takeWrites, timings } = cliSession(work);

const repoVersion = (pkg: string) => JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")).version as string;

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
// Images and profiles of the project's own: the image comes from the default project (features.images=false).
const project = new incus.Project("project", {
  name: cfg.require("project"),
  config: { "features.images": false, "features.profiles": true },
  description: "pulumi-incus tarball test",
});
const profile = new incus.Profile("base", {
  project: project.name,
  description: project.description,
  config: { "limits.processes": 200, "boot.autostart": false },
  devices: { root: { type: "disk", path: "/", pool: "default" } },
});
const args: incus.InstanceArgs = {
  project: project.name,
  image: "pulumi-incus/busybox",
  profiles: [profile.name],
  running: pulumi.output(true),
  description: profile.description,
};
const box = new incus.Instance("box", args);
// The shipped declarations are real types, not any: this mistake must not compile.
// @ts-expect-error running is a boolean
const wrong: incus.InstanceArgs = { image: "x", running: "yes" };
void wrong;

export const instanceStatus = box.status;
export const profileName = profile.name;

// Lookups ship typed too, and run from the installed package in the program's process.
const base = incus.getProfileOutput({ name: "default", project: "default" });
// @ts-expect-error a profile's devices are objects, not a string
const wrongDevices: pulumi.Output<string> = base.devices;
void wrongDevices;
// @ts-expect-error a volume is found under its pool
const neverCalled = () => incus.getStorageVolume({ name: "x" });
void neverCalled;
export const defaultProfileDescription = base.description;
export const busyboxAliases = incus.getImage({ alias: "pulumi-incus/busybox", project: "default" }).then((i) => i.aliases);
`;

beforeAll(() => {
  packed = packCheckout(work, run);

  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify(
      {
        name: "pulumi-incus-tarball-test",
        private: true,
        dependencies: { "pulumi-incus": `file:../${packed.filename}`, "@pulumi/pulumi": repoVersion("@pulumi/pulumi") },
        devDependencies: { typescript: repoVersion("typescript"), "@types/node": repoVersion("@types/node") },
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(app, "Pulumi.yaml"),
    "name: pulumi-incus-tarball-test\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
  );
  fs.writeFileSync(
    path.join(app, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", strict: true, skipLibCheck: true, types: ["node"] }, files: ["index.ts"] }),
  );
  fs.writeFileSync(path.join(app, "index.ts"), PROGRAM);
  fs.writeFileSync(
    path.join(app, "plain.js"),
    `const incus = require("pulumi-incus");
const loaded = Object.keys(require.cache);
const has = (name) => loaded.some((f) => f.includes("/node_modules/" + name + "/"));
let internal;
try { require("pulumi-incus/dist/provider/index.js"); internal = "reachable"; } catch (err) { internal = err.code; }
console.log(JSON.stringify({
  classes: Object.keys(incus).filter((k) => typeof incus[k] === "function"),
  resolved: require.resolve("pulumi-incus"),
  provider: require.resolve("pulumi-incus/provider"),
  loaded: { undici: has("undici"), ws: has("ws"), yaml: has("yaml"), zod: has("zod") },
  internal,
}));
`,
  );
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], app);
});

afterAll(async () => {
  console.log(timings.join("\n"));
  try {
    if (fs.existsSync(path.join(app, "node_modules"))) run("pulumi", ["destroy", "--yes", "--non-interactive", "--stack", "t"], app);
  } catch {
    // the test's own destroy already ran, or the stack was never created
  } finally {
    await dropTestProject(projectName);
    fs.rmSync(work, { recursive: true, force: true });
  }
});

test("npm pack ships only runtime files: compiled provider/ and sdk/ with their declarations, the templates, README, LICENSE", () => {
  const paths = packed.files.map((f) => f.path).sort();
  console.log(`npm pack: ${packed.filename}, ${packed.entryCount} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
  for (const p of paths)
    expect(p).toMatch(/^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/(sdk|provider)\/[\w/.-]+\.(js|d\.ts)|templates\/(typescript|yaml)\/[\w.]+)$/);
  expect(paths).toEqual(
    expect.arrayContaining([
      "LICENSE",
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "dist/sdk/generated/index.d.ts",
      "dist/sdk/generated/dynamic/Profile.js",
      "dist/provider/index.js",
      // `pulumi new node_modules/pulumi-incus/templates/…` works from the installed package.
      "templates/typescript/Pulumi.yaml",
      "templates/yaml/Pulumi.yaml",
    ]),
  );
  expect(paths.filter((p) => /\.map$|examples|tests|scripts/.test(p))).toEqual([]);
});

test("a plain JavaScript program requires the installed package, which loads no provider code", () => {
  expect(fs.lstatSync(path.join(app, "node_modules", "pulumi-incus")).isSymbolicLink()).toBe(false);
  const out = JSON.parse(run("node", ["plain.js"], app));
  expect(out.classes).toEqual(expect.arrayContaining(["Project", "Profile", "Network", "StoragePool", "StorageVolume", "Image", "Instance"]));
  expect(out.classes).toEqual(expect.arrayContaining(["getProfile", "getProfileOutput", "getImage", "getImages", "getInstancesOutput"]));
  expect(out.resolved).toBe(path.join(fs.realpathSync(app), "node_modules", "pulumi-incus", "dist", "sdk", "index.js"));
  expect(out.provider).toBe(path.join(fs.realpathSync(app), "node_modules", "pulumi-incus", "dist", "provider", "index.js"));
  expect(out.loaded).toEqual({ undici: false, ws: false, yaml: false, zod: false });
  expect(out.internal).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
});

test("a TypeScript program type-checks against the shipped declarations and deploys through the CLI", () => {
  run("node", [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", app], app);
  expect(fs.existsSync(path.join(app, "index.js"))).toBe(true);

  run("pulumi", ["stack", "init", "t", "--non-interactive"], app);
  run("pulumi", ["config", "set", "project", projectName], app);
  run("pulumi", ["up", "--yes", "--non-interactive", "--skip-preview"], app);
  expect(takeWrites().length).toBeGreaterThan(0);
  const outputs = JSON.parse(run("pulumi", ["stack", "output", "--json"], app));
  expect(outputs).toEqual({
    instanceStatus: "Running",
    profileName: "base",
    defaultProfileDescription: incusJson<{ description: string }>("/1.0/profiles/default")!.description,
    busyboxAliases: ["pulumi-incus/busybox"],
  });
  expect(incusJson(`/1.0/instances/box?project=${projectName}`)).toMatchObject({ status: "Running", profiles: ["base"] });
  expect(incusJson(`/1.0/profiles/base?project=${projectName}`)).toMatchObject({ config: { "limits.processes": "200", "boot.autostart": "false" } });

  // A second up with no edits changes nothing and writes nothing.
  run("pulumi", ["up", "--yes", "--non-interactive", "--skip-preview", "--expect-no-changes"], app);
  expect(takeWrites()).toEqual([]);
  const [last] = JSON.parse(run("pulumi", ["stack", "history", "--json"], app));
  expect(last.resourceChanges).toEqual({ same: 5 }); // the stack, its identity, project, profile, instance

  // Installed, each kind's provider is recorded in state as a require of the package's `./dynamic/<Kind>` export,
  // not as the text of its methods (sdk/provider.ts): a few hundred bytes per resource instead of 3.3 KB, twice.
  const exported = JSON.parse(run("pulumi", ["stack", "export"], app)) as {
    deployment: { resources: { type: string; inputs: Record<string, string>; outputs: Record<string, string> }[] };
  };
  const instance = exported.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/incus:Instance")!;
  for (const props of [instance.inputs, instance.outputs]) {
    expect(props.__provider).toContain('require("pulumi-incus/dynamic/Instance")');
    expect(props.__provider.length).toBeLessThan(400);
  }

  run("pulumi", ["destroy", "--yes", "--non-interactive", "--skip-preview"], app);
  expect(incusJson(`/1.0/projects/${projectName}`)).toBeNull();
});
