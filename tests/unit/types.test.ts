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
  const format = (d: ts.Diagnostic) =>
    `${d.file ? path.relative(dir, d.file.fileName) : ""}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  const errors = ts.getPreEmitDiagnostics(program).map(format);

  expect(parsed.fileNames.map((f) => path.basename(f))).toContain("args.ts");
  expect(errors.filter((e) => !e.startsWith("mistake.ts"))).toEqual([]);
  const mine = errors.filter((e) => e.startsWith("mistake.ts"));
  expect(mine).toHaveLength(2);
  expect(mine[0]).toContain("'descripton' does not exist in type 'ProfileArgs'");
  for (const e of mine) expect(e).not.toMatch(/ArgsOf|Zod|DeepInput/);
}, 120_000);
