// Type-level tests: tests/types/args.ts (Outputs of each field's own type accepted, mistakes rejected, generated
// types equal to the kind declarations) compiles with no error, and a type error names the Args interface.
import * as path from "node:path";
import ts from "typescript";

const dir = path.join(__dirname, "..", "types");

/** A mistake a user makes; its error must speak of ProfileArgs, not of zod or mapped types. */
const MISTAKE = `import * as incus from "pulumi-incus";\nnew incus.Profile("p", { descripton: "x" });\nnew incus.Profile("q", { config: 3 });\n`;

test("tests/types compiles, and type errors name the Args interface", () => {
  const configFile = ts.readConfigFile(path.join(dir, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, dir);
  const mistake = path.join(dir, "mistake.ts");
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) =>
    path.resolve(file) === mistake ? ts.createSourceFile(file, MISTAKE, lang) : getSourceFile(file, lang, ...rest);
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, mistake], options: parsed.options, host });
  const format = (d: ts.Diagnostic) => `${d.file ? path.relative(dir, d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  const errors = ts.getPreEmitDiagnostics(program).map(format);

  expect(parsed.fileNames.map((f) => path.basename(f))).toContain("args.ts");
  expect(errors.filter((e) => !e.startsWith("mistake.ts"))).toEqual([]);
  const mine = errors.filter((e) => e.startsWith("mistake.ts"));
  expect(mine).toHaveLength(2);
  expect(mine[0]).toContain("'descripton' does not exist in type 'ProfileArgs'");
  for (const e of mine) expect(e).not.toMatch(/ArgsOf|Zod|DeepInput/);
}, 120_000);

/** The parent objects examples name by placeholder, and their classes. */
const PLACEHOLDERS: Record<string, string> = {
  lab: "Project",
  br0: "Network",
  zone: "NetworkZone",
  web: "Instance",
  data: "StorageVolume",
  busybox: "Image",
  bucket: "StorageBucket",
};

test("every kind's example program (its class doc's Example Usage) compiles against the SDK", async () => {
  const { kinds } = await import("../../provider/kinds");
  const configFile = ts.readConfigFile(path.join(dir, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, dir);
  const files = new Map<string, string>();
  for (const [kind, spec] of Object.entries(kinds)) {
    const program = spec.example!.program;
    const declared = Object.entries(PLACEHOLDERS)
      .filter(([name]) => new RegExp(`\\b${name}\\.`).test(program) && !new RegExp(`\\bconst ${name}\\b`).test(program))
      .map(([name, cls]) => `declare const ${name}: incus.${cls};`);
    files.set(path.join(dir, `example-${kind}.ts`), ['import * as incus from "pulumi-incus";', ...declared, program, "export {};", ""].join("\n"));
  }
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, lang, ...rest) => {
    const text = files.get(path.resolve(file));
    return text !== undefined ? ts.createSourceFile(file, text, lang) : getSourceFile(file, lang, ...rest);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options: { ...parsed.options, noUnusedLocals: false }, host });
  const errors = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? path.basename(d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  expect(errors).toEqual([]);
}, 120_000);
