// Writes sdk/python and sdk/go: the Python package and the Go module of the `incus` plugin, made by Pulumi's own
// generators (scripts/gensdk, built and cached by scripts/setup-gensdk.sh, versions in scripts/lib.sh) from the plugin's
// schema (scripts/generate-schema.ts) at the package's version. `npm run generate` runs it last.
//   npx tsx scripts/generate-langs.ts          writes the directories
//   npx tsx scripts/generate-langs.ts --check  exits 1 when one is stale
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GO_MODULE, generateSchema } from "./generate-schema";

const ROOT = path.join(__dirname, "..");
export const SDK_DIRS = { python: path.join(ROOT, "sdk", "python"), go: path.join(ROOT, "sdk", "go") };

function run(cmd: string, args: string[], cwd = ROOT, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (err) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** What the pins say (scripts/lib.sh), so this and the set-up scripts read one place. */
function pin(name: string): string {
  return run("bash", ["-c", `source scripts/lib.sh && echo "$${name}"`]);
}

const PYTHON_README = `# pulumi_incus

Incus (system containers and VMs) as Pulumi resources, for Python programs: generated from the pulumi-incus kind
declarations. The resources and lookups are served by the \`incus\` resource provider plugin (pulumi-resource-incus),
which must be installed too: see the pulumi-incus README, "Python and Go programs".
`;

/** Both SDKs, generated into `out` (python/, go/). */
export function generateLangs(out: string): void {
  const version: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  const schemaFile = path.join(out, "schema.json");
  fs.writeFileSync(schemaFile, JSON.stringify({ ...generateSchema(), version }));
  const gensdk = run("bash", [path.join(ROOT, "scripts", "setup-gensdk.sh")]);
  for (const lang of ["python", "go"]) run(gensdk, [schemaFile, lang, path.join(out, lang)]);
  fs.rmSync(schemaFile);
  // pyproject.toml names a README beside it.
  fs.writeFileSync(path.join(out, "python", "README.md"), PYTHON_README);
  // The Go generator writes no go.mod: the module, at the Pulumi Go SDK the programs here are built with.
  const mod = path.join(out, "go", "incus");
  const env = { ...process.env, GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" };
  run("go", ["mod", "init", GO_MODULE], mod, env);
  run("go", ["mod", "edit", "-go=1.24", `-require=github.com/pulumi/pulumi/sdk/v3@v${pin("PULUMI_GO_SDK_VERSION")}`], mod, env);
  run("go", ["mod", "tidy"], mod, env);
}

/** Every file under a directory, by relative path; in the checkout, only those git does not ignore (a pip build's). */
function tree(dir: string, checkout = false): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(dir)) return files;
  const names = checkout
    ? run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "."], dir)
        .split("\0")
        .filter((f) => f && fs.existsSync(path.join(dir, f)))
    : fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  for (const f of names) files.set(f, fs.readFileSync(path.join(dir, f), "utf8"));
  return files;
}

/** The files of a committed SDK directory that differ from a fresh generation (missing, changed or extra). */
export function staleFiles(): string[] {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "pi-langs-"));
  try {
    generateLangs(out);
    const stale: string[] = [];
    for (const [lang, dir] of Object.entries(SDK_DIRS)) {
      const want = tree(path.join(out, lang));
      const have = tree(dir, true);
      for (const f of new Set([...want.keys(), ...have.keys()])) if (want.get(f) !== have.get(f)) stale.push(path.join("sdk", lang, f));
    }
    return stale.sort();
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv.includes("--check")) {
    const stale = staleFiles();
    for (const f of stale) console.error(`${f} is stale: run \`npm run generate\``);
    if (stale.length) process.exit(1);
  } else {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pi-langs-"));
    try {
      generateLangs(out);
      for (const [lang, dir] of Object.entries(SDK_DIRS)) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.cpSync(path.join(out, lang), dir, { recursive: true });
        console.log(`wrote ${path.relative(process.cwd(), dir)}`);
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
}
