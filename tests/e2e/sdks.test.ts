// Python and Go programs (examples/python-lab, examples/go-lab) as their users run them: the generated SDK installed
// (pip from sdk/python into the program's venv; a Go module `replace` to sdk/go/incus), the `incus` plugin from its
// tarball (scripts/build-plugin.sh) installed into a PULUMI_HOME of the test's own, the language hosts built by
// scripts/setup-python.sh and setup-go.sh, then the real CLI: up, a second up with no write, an edit in place, drift
// shown and reverted, two lookups (the plugin's functions), a secret never in plain text, destroy. And sdk/python and
// sdk/go are what `npm run generate` makes from the kinds.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { staleFiles } from "../../scripts/generate-langs";
import { cliSession, dropTestProject, filesUnder, incus, incusJson, occurrences, REPO, uniqueSuffix } from "./harness";

jest.setTimeout(1_200_000);

const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-sdks-"));
const home = path.join(work, "home");
const version: string = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")).version;
const made: string[] = [];
const setup = (script: string, ...args: string[]) =>
  execFileSync("bash", [path.join(REPO, "scripts", script), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    .trim()
    .split("\n")
    .pop()!;
/** The pins of scripts/lib.sh. */
const pin = (name: string) => execFileSync("bash", ["-c", `source scripts/lib.sh && echo "$${name}"`], { cwd: REPO, encoding: "utf8" }).trim();
/** What each step took, printed at the end (figures for the README and the CI budget, not limits). */
const timings: string[] = [];
const timed = <T>(what: string, f: () => T): T => {
  const started = Date.now();
  try {
    return f();
  } finally {
    timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
};

beforeAll(() => {
  // The plugin as a user installs it: the tarball the build makes, in this test's own PULUMI_HOME.
  const tarball = timed("build-plugin.sh", () => setup("build-plugin.sh"));
  fs.mkdirSync(home);
  execFileSync("pulumi", ["plugin", "install", "resource", "incus", version, "-f", tarball], {
    env: { ...process.env, PULUMI_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
}, 900_000);

afterAll(async () => {
  // Only if something failed half-way: what the test made goes.
  for (const p of made) {
    if (incusJson(`/1.0/projects/${p}`)) await dropTestProject(p);
    if (incusJson(`/1.0/networks/${p}-net`)) incus("network", "delete", `${p}-net`);
  }
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`sdks.test.ts timings:\n${timings.join("\n")}`);
});

test("sdk/python and sdk/go are what `npm run generate` makes from provider/kinds (else: npm run generate)", () => {
  expect(timed("generate-langs --check", staleFiles)).toEqual([]);
});

/** A copy of examples/<name> outside the repository, made ready to run the way the README tells users. */
type Prepare = (dir: string, env: NodeJS.ProcessEnv, run: (cmd: string, args: string[], cwd: string) => string) => void;

const python: Prepare = (dir, env, run) => {
  env.PATH = `${timed("setup-python.sh", () => setup("setup-python.sh"))}:${path.join(dir, "venv", "bin")}:${env.PATH}`;
  env.VIRTUAL_ENV = path.join(dir, "venv");
  // requirements.txt names the SDK by its path in the checkout: a copy of it here (pip builds in the directory).
  const sdk = path.join(dir, "..", "sdk-python");
  fs.cpSync(path.join(REPO, "sdk", "python"), sdk, { recursive: true });
  const req = path.join(dir, "requirements.txt");
  fs.writeFileSync(req, fs.readFileSync(req, "utf8").replace("../../sdk/python", sdk));
  expect(fs.readFileSync(req, "utf8")).toContain(`pulumi==${pin("PULUMI_PYTHON_SDK_VERSION")}`);
  timed("python venv + pip install -r requirements.txt", () => {
    run("python3", ["-m", "venv", "venv"], dir);
    run(path.join(dir, "venv", "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "-r", "requirements.txt"], dir);
  });
};

const go: Prepare = (dir, env, run) => {
  // Waits for scripts/test.sh's background warm-up of Go's build cache, if it is still running.
  env.PATH = `${timed("setup-go.sh warm", () => setup("setup-go.sh", "warm"))}:${env.PATH}`;
  // The CLI build's flags, so the program's build reuses what that build (and the warm-up) compiled.
  Object.assign(env, { CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: `-mod=mod ${pin("PULUMI_GO_BUILD_FLAGS")}` });
  run("go", ["mod", "edit", `-replace=github.com/pulumi-incus/pulumi-incus/sdk/go/incus=${path.join(REPO, "sdk", "go", "incus")}`], dir);
};

describe.each([
  ["python-lab", python],
  ["go-lab", go],
])("examples/%s", (example, prepare) => {
  it("up, a second up with no write, an edit, drift shown and reverted, lookups, a secret kept, destroy", () => {
    const prefix = `${example.slice(0, 2)}${uniqueSuffix().slice(-7)}`;
    const q = `project=${prefix}`;
    const SECRET = `s3cret-${uniqueSuffix()}`;
    made.push(prefix);
    const dir = path.join(work, example);
    fs.cpSync(path.join(REPO, "examples", example), path.join(dir, "app"), { recursive: true });
    const app = path.join(dir, "app");
    const { env, run, takeWrites, timings: steps } = cliSession(dir);
    Object.assign(env, { PULUMI_HOME: home });
    prepare(app, env, run);
    const outputs: string[] = [];
    const cli = (...args: string[]) => {
      const out = run("pulumi", args, app);
      outputs.push(out);
      return out;
    };
    try {
      cli("stack", "init", "lab");
      cli("config", "set", "prefix", prefix);
      cli("config", "set", "--secret", "token", SECRET);

      cli("up", "--yes");
      const out = () => JSON.parse(cli("stack", "output", "--json"));
      expect(out()).toEqual({
        projectName: prefix,
        networkName: `${prefix}-net`,
        volume: "lab-data",
        nodeStatus: "Running",
        poolDriver: incusJson("/1.0/storage-pools/default").driver,
        baseMemory: "128MiB",
        token: "[secret]",
      });
      expect(incusJson(`/1.0/networks/${prefix}-net`).config).toMatchObject({ "ipv4.address": "none", "ipv6.address": "none" });
      expect(incusJson(`/1.0/profiles/lab-base?${q}`).config).toEqual({ "limits.cpu": "1", "limits.memory": "128MiB", "user.token": SECRET });
      expect(incusJson(`/1.0/instances/node1?${q}`).status).toBe("Running");
      expect(incusJson(`/1.0/storage-pools/default/volumes/custom/lab-data?${q}`)).not.toBeNull();
      takeWrites();

      // Nothing changed: a second up says so (it fails on any change) and sends no write.
      cli("up", "--yes", "--expect-no-changes");
      expect(takeWrites()).toEqual([]);

      // An edit of the program's config: one PUT of the profile, and the lookup sees it.
      cli("config", "set", "memory", "96MiB");
      cli("up", "--yes");
      expect(takeWrites()).toEqual([`PUT /1.0/profiles/lab-base?${q}`]);
      expect(incusJson(`/1.0/profiles/lab-base?${q}`).config["limits.memory"]).toBe("96MiB");
      expect(out().baseMemory).toBe("96MiB");

      // Drift made by hand: the preview names it, up puts the program's value back.
      incus("profile", "set", "lab-base", "limits.cpu=2", "--project", prefix);
      expect(cli("preview", "--diff")).toMatch(/~ limits\.cpu/);
      cli("up", "--yes");
      expect(takeWrites()).toEqual([`PUT /1.0/profiles/lab-base?${q}`]);
      expect(incusJson(`/1.0/profiles/lab-base?${q}`).config["limits.cpu"]).toBe("1");

      // The secret: on the server, never in the state files, an export or anything the CLI printed.
      outputs.push(cli("stack", "export"));
      expect(occurrences(filesUnder(path.join(dir, "state")), SECRET)).toBe(0);
      expect(occurrences(outputs, SECRET)).toBe(0);

      cli("destroy", "--yes");
      expect(incusJson(`/1.0/projects/${prefix}`)).toBeNull();
      expect(incusJson(`/1.0/networks/${prefix}-net`)).toBeNull();
      cli("stack", "rm", "--yes");
    } finally {
      timings.push(...steps.map((s) => `${example}: ${s}`));
    }
  });
});
