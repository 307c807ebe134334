// Writes sdk/generated.ts from the kind declarations: per kind a documented `XxxArgs` interface (every field a
// pulumi.Input of its own type), an `XxxOutputs` interface, and the resource class. Field docs come from the zod
// schemas (`.describe()`), what a change does from the kind's field modes, class and output docs from the kind's
// `xxxDocs`. Run `npm run generate` after changing a kind; a unit test fails while the committed file is stale.
//   npx tsx scripts/generate-sdk.ts          writes the file
//   npx tsx scripts/generate-sdk.ts --check  exits 1 when it is stale
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import type { KindSpec } from "../provider/engine/kind";
import { configValue, schemaShape } from "../provider/engine/inputs";
import { kinds } from "../provider/kinds";

export const GENERATED_FILE = path.join(__dirname, "..", "sdk", "generated.ts");

/** What a kind's file exports besides its spec: the class summary and a doc per output. */
export interface KindDocs {
  summary: string;
  outputs: Record<string, string>;
  /** TypeScript types of outputs whose shape a sample value cannot tell (objects of objects). */
  outputTypes?: Record<string, string>;
}

type Def = { type: string; [k: string]: any };
export const defOf = (s: z.ZodType): Def => (s as any)._zod.def;
export const descriptionOf = (s: z.ZodType): string | undefined => (s as any).description;

/** Wrappers that only make a field optional or give it a default. */
export function unwrap(s: z.ZodType): { inner: z.ZodType; optional: boolean; defaultValue?: unknown; description?: string } {
  let optional = false;
  let defaultValue: unknown;
  let description = descriptionOf(s);
  for (;;) {
    const d = defOf(s);
    if (d.type === "optional") optional = true;
    else if (d.type === "default") {
      optional = true;
      defaultValue = typeof d.defaultValue === "function" ? d.defaultValue() : d.defaultValue;
    } else break;
    s = d.innerType;
    description ??= descriptionOf(s);
  }
  return { inner: s, optional, defaultValue, description };
}

type Mode = "input" | "output";

/** The TypeScript text of a schema's type. In input mode every nested value may be an Input too. */
function typeText(s: z.ZodType, mode: Mode, indent: string): string {
  const wrap = (t: string) => (mode === "input" ? `pulumi.Input<${t}>` : t);
  const d = defOf(s);
  switch (d.type) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "enum":
      return Object.values(d.entries as Record<string, string>)
        .map((v) => JSON.stringify(v))
        .join(" | ");
    case "literal":
      return (d.values as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
    case "optional":
    case "default":
      return `${typeText(d.innerType, mode, indent)} | undefined`;
    case "nullable":
      // null means "not set": the provider drops it, so outputs never hold it.
      return mode === "input" ? `${typeText(d.innerType, mode, indent)} | null` : typeText(d.innerType, mode, indent);
    case "array":
      return `${wrap(typeText(d.element, mode, indent))}[]`;
    case "record":
      return `Record<string, ${wrap(typeText(d.valueType, mode, indent))}>`;
    case "union":
      return (d.options as z.ZodType[]).map((o) => typeText(o, mode, indent)).join(" | ");
    case "object":
      return objectText(d.shape, mode, indent);
    case "pipe":
      // Config values are accepted as strings, numbers or booleans and stored (so read back) as strings.
      if (mode === "output" && s === configValue) return "string";
      return typeText(mode === "input" || defOf(d.out).type === "transform" ? d.in : d.out, mode, indent);
    default:
      throw new Error(`generate-sdk: no TypeScript type for a zod ${d.type}`);
  }
}

function objectText(shape: Record<string, z.ZodType>, mode: Mode, indent: string): string {
  const inner = `${indent}  `;
  const lines = Object.entries(shape).map(([key, field]) => {
    const f = unwrap(field);
    const doc = f.description ? `${docComment(withDefault(f.description, f.defaultValue), inner)}\n` : "";
    const t = typeText(f.inner, mode, inner);
    const value = mode === "input" ? inputOf(t, f.optional) : t;
    return `${doc}${inner}${mode === "output" ? "readonly " : ""}${propertyName(key)}${f.optional ? "?" : ""}: ${value};`;
  });
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/**
 * An optional field also takes null, and an Output that may hold undefined (another resource's optional output, such
 * as `other.description`): both mean "not set", as when the field is left out.
 */
const inputOf = (t: string, optional: boolean) => `pulumi.Input<${t}${optional ? " | null | undefined" : ""}>`;

const propertyName = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));

export function withDefault(text: string, defaultValue: unknown): string {
  return defaultValue === undefined ? text : `${text} Default: \`${JSON.stringify(defaultValue)}\`.`;
}

/** A JSDoc block, wrapped at 110 columns. */
function docComment(text: string, indent: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && indent.length + 3 + line.length + 1 + w.length > 110) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  if (lines.length === 1 && indent.length + 7 + lines[0].length <= 110) return `${indent}/** ${lines[0]} */`;
  return [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");
}

/** Whether changing a top-level field replaces the object (the engine's diff rules, from the kind's declaration). */
export function replacesOnChange(spec: KindSpec<any, any>, field: string): boolean {
  if (field === "name") return !spec.nameIsLabel && !spec.renamable && (spec.fields as Record<string, { mode: string } | undefined>).name?.mode !== "update";
  if (field === "project" || field === "remote" || (spec.identity ?? []).includes(field)) return true;
  return (spec.fields as Record<string, { mode: string } | undefined>)[field]?.mode === "replace";
}

/** What changing a top-level field does, from the kind's declaration. */
export function changeNote(spec: KindSpec<any, any>, field: string): string {
  const replaces = "Changing it replaces the object.";
  if (field === "name") {
    if (spec.nameIsLabel) return "Only a label in Pulumi: changing it changes nothing in Incus.";
    return spec.renamable ? "Changing it renames the object in place." : replaces;
  }
  if (field === "project" || field === "remote" || (spec.identity ?? []).includes(field)) return replaces;
  const mode = (spec.fields as Record<string, { mode: string } | undefined>)[field]?.mode;
  if (mode === "replace") return replaces;
  if (mode === "update") return "Changed in place.";
  if (mode === "create") return "Used when the object is created; a later change is saved but not applied.";
  return "";
}

/** The longest name the kind's name rule accepts (the SDK cuts default names to it). */
function nameLimit(spec: KindSpec<any, any>): number {
  const rule = schemaShape(spec.schema).name;
  let n = 1;
  while (n < 255 && rule.safeParse(`a${"b".repeat(n)}`).success) n++;
  return n;
}

/** The type of an output from the value the kind's `outputs` gives for an empty live object. */
export function outputType(value: unknown, kind: string, key: string): string {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  if (Array.isArray(value)) return "string[]";
  if (value && typeof value === "object") return "Record<string, string>";
  throw new Error(`generate-sdk: ${kind}.${key}: cannot tell the output's type from ${JSON.stringify(value)}`);
}

export function kindDocs(type: string): KindDocs {
  const file = type[0].toLowerCase() + type.slice(1);
  const docs = require(`../provider/kinds/${file}`)[`${file}Docs`] as KindDocs | undefined;
  if (!docs) throw new Error(`generate-sdk: provider/kinds/${file}.ts exports no ${file}Docs`);
  return docs;
}

function kindText(type: string, spec: KindSpec<any, any>): string {
  const docs = kindDocs(type);
  const shape = schemaShape(spec.schema);
  const argLines: string[] = [];
  const outLines: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const f = unwrap(field);
    const note = changeNote(spec, key);
    if (!f.description) throw new Error(`generate-sdk: ${type}.${key} has no description (add .describe() to its schema)`);
    const doc = docComment([withDefault(f.description, f.defaultValue), note].filter(Boolean).join(" "), "  ");
    const optional = f.optional || key === "name";
    argLines.push(`${doc}\n  ${key}${optional ? "?" : ""}: ${inputOf(typeText(f.inner, "input", "  "), optional)};`);
    // The provider always reports the name and, for scoped kinds, the project it used.
    const always = !f.optional || key === "name" || (key === "project" && spec.scoped) || (spec.outputKeys ?? []).includes(key);
    outLines.push(`${docComment(f.description, "  ")}\n  readonly ${key}: pulumi.Output<${typeText(f.inner, "output", "  ")}${always ? "" : " | undefined"}>;`);
  }
  const sample = (spec.outputs?.({}, {} as any) ?? {}) as Record<string, unknown>;
  for (const key of spec.outputKeys ?? []) {
    const doc = docs.outputs[key];
    if (!doc) throw new Error(`generate-sdk: ${type}.${key}: no doc in ${type}Docs.outputs`);
    if (key in shape) continue; // an input the server may fill in (an image's fingerprint): already listed
    outLines.push(`${docComment(doc, "  ")}\n  readonly ${key}: pulumi.Output<${docs.outputTypes?.[key] ?? outputType(sample[key], type, key)}>;`);
  }
  for (const key of Object.keys(docs.outputs)) {
    if (!(spec.outputKeys ?? []).includes(key)) throw new Error(`generate-sdk: ${type}Docs.outputs.${key} is not an output of the kind`);
  }
  const list = (keys: string[]) => `[${keys.map((k) => JSON.stringify(k)).join(", ")}]`;
  const inputKeys = list(Object.keys(shape));
  const outputKeys = list((spec.outputKeys ?? []).filter((k) => !(k in shape)));
  return [
    `/** The arguments of a {@link ${type}}. */`,
    `export interface ${type}Args {`,
    argLines.join("\n"),
    "}",
    "",
    `/** What a {@link ${type}} resource exposes: its inputs as the provider stored them, and what the server reports. */`,
    `export interface ${type}Outputs {`,
    outLines.join("\n"),
    "}",
    "",
    docComment(docs.summary, ""),
    `export const ${type} = resourceClass<${type}Args, ${type}Outputs>(${JSON.stringify(type)}, ${inputKeys}, ${outputKeys}, ${nameLimit(spec)}${spec.secretOutputs?.length ? `, ${list(spec.secretOutputs)}` : ""});`,
    `export type ${type} = InstanceType<typeof ${type}>;`,
  ].join("\n");
}

export function generateSdk(): string {
  const parts = Object.entries(kinds).map(([type, spec]) => kindText(type, spec as KindSpec<any, any>));
  return [
    "// GENERATED by scripts/generate-sdk.ts from provider/kinds/*.ts: do not edit; run `npm run generate`.",
    'import type * as pulumi from "@pulumi/pulumi";',
    'import { resourceClass } from "./resource";',
    "",
    parts.join("\n\n"),
    "",
  ].join("\n");
}

if (require.main === module) {
  const text = generateSdk();
  const current = fs.existsSync(GENERATED_FILE) ? fs.readFileSync(GENERATED_FILE, "utf8") : "";
  if (process.argv.includes("--check")) {
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), GENERATED_FILE)} is stale: run \`npm run generate\``);
      process.exit(1);
    }
  } else if (current !== text) {
    fs.writeFileSync(GENERATED_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), GENERATED_FILE)}`);
  }
}
