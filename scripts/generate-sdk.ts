// Writes sdk/generated.ts from the kind declarations: per kind a documented `XxxArgs` interface (every field a
// pulumi.Input of its own type), an `XxxOutputs` interface, and the resource class. Field docs come from the zod
// schemas (`.describe()`), what a change does from the kind's field modes, class and output docs from the kind's
// `xxxDocs`. Run `npm run generate` after changing a kind; a unit test fails while the committed file is stale.
//   npx tsx scripts/generate-sdk.ts          writes the file
//   npx tsx scripts/generate-sdk.ts --check  exits 1 when it is stale
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import { KindEngine } from "../provider/engine/engine";
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
    if (spec.fields.name?.mode === "update") return "Changed in place.";
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

/** "StorageVolume" → "storage volume", for docs. */
const words = (type: string) => type.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();

/** Docs of the arguments every lookup takes to say where to look. */
const WHERE_DOCS: Record<string, string> = {
  project: "The project to look in. Default: stack config `incus:project`, else the remote's project (usually `default`).",
  remote: "The Incus to ask: a remote of the incus CLI's config.yml (`local` or an HTTPS remote) or an address. Default: stack config `incus:remote`, else the CLI's default remote.",
  socket: "An explicit unix socket of the Incus daemon; wins over `remote`. Default: stack config `incus:socket`, else the socket the incus CLI would use.",
  configDir: "The incus CLI's config directory (config.yml, client certificate, pinned server certificates). Default: stack config `incus:configDir`, else the CLI's.",
};

interface Member {
  key: string;
  doc: string;
  type: string;
  optional: boolean;
  /** The type in the Output forms' arguments (nested values may be Inputs too); default: Input of `type`. */
  inputType?: string;
}

/** A field's doc without its "Default: …" sentence (a lookup reports what the server has). */
const withoutDefault = (doc: string) =>
  doc
    .split(/(?<=\.)\s+(?=[A-Z`])/)
    .filter((sentence) => !sentence.startsWith("Default:"))
    .join(" ");

/** An interface; `input` makes every field a pulumi.Input of its type (the Output forms' arguments). */
function interfaceText(doc: string, name: string, members: Member[], input = false, readonly = false): string {
  const lines = members.map((m) => {
    const t = input ? (m.inputType ?? `pulumi.Input<${m.type}>`) : m.type;
    return `${docComment(m.doc, "  ")}\n  ${readonly ? "readonly " : ""}${propertyName(m.key)}${m.optional ? "?" : ""}: ${t};`;
  });
  return [docComment(doc, ""), `export interface ${name} {`, ...lines, "}"].join("\n");
}

function whereMembers(spec: KindSpec<any, any>): Member[] {
  return Object.entries(WHERE_DOCS)
    .filter(([k]) => k !== "project" || spec.scoped)
    .map(([key, doc]) => ({ key, doc, type: "string", optional: true }));
}

/** getXxx / getXxxOutput (and getXxxs for kinds with a list lookup): arguments, result and functions. */
function lookupText(type: string, spec: KindSpec<any, any>): string {
  const docs = kindDocs(type);
  const engine = new KindEngine(spec);
  const shape = schemaShape(spec.schema);
  const word = words(type);
  const identity = engine.lookupIdentity();
  const alternatives = Object.entries(spec.lookupBy ?? {});
  const or = alternatives.map(([k]) => `\`${k}\``).join(" or ");
  const fieldDoc = (key: string) => {
    const d = shape[key] ? unwrap(shape[key]).description : undefined;
    if (!d) throw new Error(`generate-sdk: ${type}.${key} has no description`);
    return d;
  };
  // An identity field the schema lacks (an output-only key) is a string, named by the kind's output docs.
  const identityDoc = (key: string) => (key === "name" ? `The ${word}'s name in Incus.` : (docs.outputs[key] ?? (shape[key] ? fieldDoc(key) : `The ${word}'s ${words(key)}.`)));
  const identityType = (key: string) => (shape[key] ? typeText(unwrap(shape[key]).inner, "output", "  ") : "string");
  const args: Member[] = [
    ...identity.map((key) => ({
      key,
      doc: identityDoc(key) + (alternatives.length ? ` Give this or ${or}.` : ""),
      type: identityType(key),
      optional: alternatives.length > 0,
    })),
    ...alternatives.map(([key, alt]) => {
      const f = unwrap(alt.schema);
      if (!f.description) throw new Error(`generate-sdk: ${type}.lookupBy.${key} has no description`);
      return { key, doc: f.description, type: typeText(f.inner, "output", "  "), optional: true };
    }),
    ...whereMembers(spec),
  ];

  const sample = (spec.outputs?.({}, {} as any) ?? {}) as Record<string, unknown>;
  const result: Member[] = [];
  const seen = new Set<string>();
  const add = (m: Member) => {
    if (seen.has(m.key)) return;
    seen.add(m.key);
    result.push(m);
  };
  if (!spec.nameIsLabel) add({ key: "name", doc: `The ${word}'s name in Incus.`, type: "string", optional: false });
  for (const key of identity) add({ key, doc: identityDoc(key), type: identityType(key), optional: false });
  if (spec.scoped) add({ key: "project", doc: "The project the object lives in (the `default` project when the project named does not have this kind's feature on, as Incus then serves the default project's).", type: "string", optional: false });
  for (const [key, fs] of Object.entries(spec.fields as Record<string, { mode: string; empty?: unknown }>)) {
    if (fs.mode === "create") continue;
    const f = unwrap(shape[key]);
    add({ key, doc: withoutDefault(fieldDoc(key)), type: typeText(f.inner, "output", "  "), optional: fs.empty === undefined && f.optional });
  }
  for (const key of Object.keys(spec.lookupFields ?? {})) add({ key, doc: withoutDefault(fieldDoc(key)), type: typeText(unwrap(shape[key]).inner, "output", "  "), optional: false });
  for (const key of (spec.outputKeys ?? []).filter((k) => !(spec.stackOutputs ?? []).includes(k))) add({ key, doc: docs.outputs[key], type: docs.outputTypes?.[key] ?? outputType(sample[key], type, key), optional: false });

  // A singleton (a path with no identity fields) is looked up with no arguments.
  const required = args.some((m) => !m.optional) || alternatives.length > 0;
  const byWhat = [identity.map((k) => `\`${k}\``).join(" and "), ...alternatives.map(([k]) => `\`${k}\``)].join(" or ");
  const what = `Looks up ${identity.length ? `an existing ${word} by ${byWhat}` : `the ${word}`}, in the program's own process (during previews too), reaching Incus as resources do (stack config \`incus:*\`, else the incus CLI's config). Fails, naming the ${word} and the project, when there is none.`;
  const out = [
    interfaceText(`The arguments of {@link get${type}}: which ${word}, and where to look.`, `Get${type}Args`, args),
    "",
    interfaceText(`The arguments of {@link get${type}Output}: those of {@link get${type}}, each may be an Output of another resource.`, `Get${type}OutputArgs`, args, true),
    "",
    interfaceText(`An existing ${word} as {@link get${type}} finds it: every field as the server has it, and what the server reports.`, `Get${type}Result`, result, false, true),
    "",
    docComment(what, ""),
    `export function get${type}(args: Get${type}Args${required ? "" : " = {}"}): Promise<Get${type}Result> {`,
    `  return lookup<Get${type}Result>(${JSON.stringify(type)}, args);`,
    "}",
    "",
    docComment(`{@link get${type}} for arguments that may be Outputs of other resources; the result is an Output.`, ""),
    `export function get${type}Output(args: Get${type}OutputArgs${required ? "" : " = {}"}): pulumi.Output<Get${type}Result> {`,
    `  return lookupOutput<Get${type}Result>(${JSON.stringify(type)}, args);`,
    "}",
  ];
  if (spec.listLookup) {
    const filters: Member[] = Object.entries(spec.listLookup.filters.shape as Record<string, z.ZodType>).map(([key, field]) => {
      const f = unwrap(field);
      if (!f.description) throw new Error(`generate-sdk: ${type}.listLookup.filters.${key} has no description`);
      return { key, doc: f.description, type: typeText(f.inner, "output", "  "), inputType: `pulumi.Input<${typeText(f.inner, "input", "  ")}>`, optional: true };
    });
    const listArgs = [...filters, ...whereMembers(spec)];
    const plural = `${type}s`;
    out.push(
      "",
      interfaceText(`The arguments of {@link get${plural}}: filters (all must match) and where to look.`, `Get${plural}Args`, listArgs),
      "",
      interfaceText(`The arguments of {@link get${plural}Output}: those of {@link get${plural}}, each may be an Output.`, `Get${plural}OutputArgs`, listArgs, true),
      "",
      docComment(`Every ${word} in the project that matches all the filters given (one list request), each as {@link get${type}} reports it; an empty list when none does.`, ""),
      `export function get${plural}(args: Get${plural}Args = {}): Promise<Get${type}Result[]> {`,
      `  return lookupList<Get${type}Result>(${JSON.stringify(type)}, args);`,
      "}",
      "",
      docComment(`{@link get${plural}} for arguments that may be Outputs of other resources; the result is an Output.`, ""),
      `export function get${plural}Output(args: Get${plural}OutputArgs = {}): pulumi.Output<Get${type}Result[]> {`,
      `  return lookupListOutput<Get${type}Result>(${JSON.stringify(type)}, args);`,
      "}",
    );
  }
  return out.join("\n");
}

export function generateSdk(): string {
  const parts = Object.entries(kinds).map(([type, spec]) => [kindText(type, spec as KindSpec<any, any>), lookupText(type, spec as KindSpec<any, any>)].join("\n\n"));
  return [
    "// GENERATED by scripts/generate-sdk.ts from provider/kinds/*.ts: do not edit; run `npm run generate`.",
    'import type * as pulumi from "@pulumi/pulumi";',
    'import { lookup, lookupList, lookupListOutput, lookupOutput } from "./lookup";',
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
