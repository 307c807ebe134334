// Writes provider/plugin/generated/schema.ts: the Pulumi package schema of the `incus` resource provider plugin (what Pulumi
// YAML and the SDK generators read), from the same kind declarations as the TypeScript SDK and with the same docs
// (scripts/generate-sdk.ts): field types from the zod schemas, docs from `.describe()`, which fields replace from
// the kinds' field modes and identity, outputs from the kinds' `docs`. `npm run generate` writes it with sdk/generated/.
//   npx tsx scripts/generate-schema.ts          writes the file
//   npx tsx scripts/generate-schema.ts --check  exits 1 when it is stale
import * as fs from "node:fs";
import * as path from "node:path";
import type { z } from "zod";
import type { KindSpec } from "../provider/engine/kind";
import { configValue, schemaShape } from "../provider/engine/inputs";
import { kinds } from "../provider/kinds";
import { changeNote, kindDocs, outputType, replacesOnChange } from "./generate/kindFacts";
import { lookupMembers, type Member } from "./generate/lookupMembers";
import { defOf, unwrap, withDefault } from "./generate/zodText";
import { composeComponent } from "./compose-schema";

export const SCHEMA_FILE = path.join(__dirname, "..", "provider", "plugin", "generated", "schema.ts");
export const PACKAGE = "incus";
/** The Go SDK's module (sdk/go/incus/go.mod): programs reach it with a `replace` to the directory. */
export const GO_MODULE = "github.com/pulumi-incus/pulumi-incus/sdk/go/incus";

type Spec = Record<string, unknown>;
type Mode = "input" | "output";

const pascal = (s: string) => s.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
const token = (name: string) => `${PACKAGE}:index:${name}`;

/** Builds the schema's named types (objects and enums) while it walks the kinds; one zod schema, one type. */
class Types {
  readonly types: Record<string, Spec> = {};
  private readonly named = new Map<z.ZodType, string>();

  /** The property spec of a zod schema; `name` is the type name used if it is an object or an enum. */
  spec(s: z.ZodType, mode: Mode, name: string): Spec {
    const d = defOf(s);
    switch (d.type) {
      case "string":
        return { type: "string" };
      case "number": {
        const int = ((d.checks ?? []) as any[]).some((c) => c?._zod?.def?.format === "safeint");
        return { type: int ? "integer" : "number" };
      }
      case "boolean":
        return { type: "boolean" };
      case "enum":
        return this.ref(s, name, () => ({
          type: "string",
          enum: Object.values(d.entries as Record<string, string>).map((value) => ({ value })),
        }));
      case "literal": {
        const v = (d.values as unknown[])[0];
        return { type: typeof v === "number" ? "number" : typeof v === "boolean" ? "boolean" : "string" };
      }
      case "optional":
      case "default":
      case "nullable":
        return this.spec(d.innerType, mode, name);
      case "array":
        return { type: "array", items: this.spec(d.element, mode, `${name}Item`) };
      case "record":
        return { type: "object", additionalProperties: this.spec(d.valueType, mode, `${name}Value`) };
      case "union": {
        const options = (d.options as z.ZodType[]).map((o, i) => this.spec(o, mode, `${name}${i}`));
        const distinct = [...new Map(options.map((o) => [JSON.stringify(o), o])).values()];
        if (distinct.length === 1) return distinct[0];
        // `type` is what languages without unions use; YAML checks a value against each option.
        const first = distinct.find((o) => typeof o.type === "string" && o.type !== "object" && o.type !== "array");
        return { ...(first ? { type: first.type } : {}), oneOf: distinct };
      }
      case "object":
        return this.ref(s, name, () => this.object(d.shape, mode, name));
      case "pipe":
        // Config values are accepted as strings, numbers or booleans and stored (so read back) as strings.
        if (mode === "output" && s === configValue) return { type: "string" };
        return this.spec(mode === "input" || defOf(d.out).type === "transform" ? d.in : d.out, mode, name);
      default:
        throw new Error(`generate-schema: no schema type for a zod ${d.type} (${name})`);
    }
  }

  private ref(s: z.ZodType, name: string, make: () => Spec): Spec {
    let t = this.named.get(s);
    if (!t) {
      t = token(name);
      this.named.set(s, t);
      this.types[t] = make();
    }
    return { $ref: `#/types/${t}` };
  }

  private object(shape: Record<string, z.ZodType>, mode: Mode, name: string): Spec {
    const properties: Record<string, Spec> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(shape)) {
      const f = unwrap(field);
      properties[key] = {
        ...this.spec(f.inner, mode, `${name}${pascal(key)}`),
        ...(f.description ? { description: withDefault(f.description, f.defaultValue) } : {}),
      };
      if (!f.optional) required.push(key);
    }
    return { type: "object", properties, ...(required.length ? { required } : {}) };
  }
}

/** An output the kind computes (status, fingerprint, …), from the TypeScript type its docs give or its sample value. */
function outputSpec(tsType: string): Spec {
  switch (tsType) {
    case "string":
    case "number":
    case "boolean":
      return { type: tsType };
    case "string[]":
      return { type: "array", items: { type: "string" } };
    case "Record<string, string>":
      return { type: "object", additionalProperties: { type: "string" } };
    default:
      // Maps of records (an instance's command results): read by key in programs, so typed as maps of anything.
      return { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } };
  }
}

function resourceSpec(type: string, spec: KindSpec<any, any>, types: Types): Spec {
  const docs = kindDocs(type);
  const shape = schemaShape(spec.schema);
  const inputProperties: Record<string, Spec> = {};
  const properties: Record<string, Spec> = {};
  const requiredInputs: string[] = [];
  const required: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const f = unwrap(field);
    if (!f.description) throw new Error(`generate-schema: ${type}.${key} has no description (add .describe() to its schema)`);
    const name = `${type}${pascal(key)}`;
    const doc = [withDefault(f.description, f.defaultValue), changeNote(spec, key)].filter(Boolean).join(" ");
    // The plugin defaults the name to the logical name, as the TypeScript SDK does.
    const optional = f.optional || key === "name";
    inputProperties[key] = { ...types.spec(f.inner, "input", name), description: doc, ...(replacesOnChange(spec, key) ? { willReplaceOnChanges: true } : {}) };
    if (!optional) requiredInputs.push(key);
    properties[key] = { ...types.spec(f.inner, "output", name), description: f.description };
    if (!f.optional || key === "name" || (key === "project" && spec.scoped) || (spec.outputKeys ?? []).includes(key)) required.push(key);
  }
  const sample = (spec.outputs?.({}, {} as any) ?? {}) as Record<string, unknown>;
  for (const key of spec.outputKeys ?? []) {
    const doc = docs.outputs[key];
    if (!doc) throw new Error(`generate-schema: ${type}.${key}: no doc in its docs.outputs`);
    if (key in shape) continue;
    properties[key] = { ...outputSpec(docs.outputTypes?.[key] ?? outputType(sample[key], type, key)), description: doc };
    if ((spec.secretOutputs ?? []).includes(key)) properties[key].secret = true;
    required.push(key);
  }
  return { description: docs.summary, properties, required, inputProperties, requiredInputs };
}

/** A lookup's arguments or result as a function's inputs or outputs: the same fields and docs as the TypeScript lookups. */
function membersSpec(members: Member[], types: Types, name: string, secret: string[] = []): Spec {
  const properties: Record<string, Spec> = {};
  for (const m of members) {
    const spec = m.schema ? types.spec(m.schema, "output", `${name}${pascal(m.key)}`) : outputSpec(m.type);
    properties[m.key] = { ...spec, description: m.doc, ...(secret.includes(m.key) ? { secret: true } : {}) };
  }
  const required = members.filter((m) => !m.optional).map((m) => m.key);
  return { type: "object", properties, ...(required.length ? { required } : {}) };
}

/**
 * `getXxx` (and `getXxxs`) as functions the plugin serves (Invoke): what YAML's `fn::invoke` and the Python and Go
 * SDKs call. A list lookup returns `{ items }`, each item an `<Kind>Info` (the getXxx result as a type).
 */
function functionSpecs(type: string, spec: KindSpec<any, any>, types: Types): Record<string, Spec> {
  const { word, args, result, listArgs, what } = lookupMembers(type, spec);
  const secret = (spec.secretOutputs ?? []).filter((k) => !(spec.stackOutputs ?? []).includes(k));
  const out = membersSpec(result, types, `Get${type}Result`, secret);
  const fns: Record<string, Spec> = {
    [token(`get${type}`)]: {
      description: what.replace("in the program's own process (during previews too)", "through the provider plugin"),
      inputs: membersSpec(args, types, `Get${type}`),
      outputs: out,
    },
  };
  if (listArgs) {
    types.types[token(`${type}Info`)] = { ...out, description: `An existing ${word} as get${type} reports it.` };
    fns[token(`get${type}s`)] = {
      description: `Every ${word} in the project that matches all the filters given (one list request), each as get${type} reports it.`,
      inputs: membersSpec(listArgs, types, `Get${type}s`),
      outputs: {
        type: "object",
        properties: { items: { type: "array", items: { $ref: `#/types/${token(`${type}Info`)}` }, description: `The matching ${word}s.` } },
        required: ["items"],
      },
    };
  }
  return fns;
}

/** The package schema (without version: the plugin adds its own). */
export function generateSchema(): Spec {
  const types = new Types();
  const resources: Record<string, Spec> = {};
  const functions: Record<string, Spec> = {};
  for (const [type, spec] of Object.entries(kinds)) {
    resources[token(type)] = resourceSpec(type, spec as KindSpec<any, any>, types);
    Object.assign(functions, functionSpecs(type, spec as KindSpec<any, any>, types));
  }
  resources["incus:compose:Stack"] = composeComponent(types.types);
  return {
    name: PACKAGE,
    displayName: "Incus",
    description: "Incus (system containers and VMs) as Pulumi resources, served by the pulumi-incus engine.",
    license: "Apache-2.0",
    config: {
      variables: {
        remote: { type: "string", description: "The Incus remote (from the incus CLI's config.yml) every resource uses unless it names its own." },
        project: { type: "string", description: "The Incus project of project-scoped resources that name none." },
        socket: { type: "string", description: "An explicit unix socket of the Incus daemon; wins over `remote`." },
        configDir: { type: "string", description: "The incus CLI's config directory." },
        server: {
          type: "string",
          description: "`lxd`: the daemon is LXD, found like the lxc CLI finds it (LXD_SOCKET, LXD_DIR, its sockets, ~/.config/lxc remotes). Default `incus`.",
        },
        timeout: { type: "string", description: "Seconds one Incus operation or request may take." },
        reconnectTimeout: { type: "string", description: "Seconds to keep trying while the daemon cannot be reached." },
        markOwner: {
          type: "string",
          description:
            '"true": mark each object with its stack (org/project/stack) in its create request, so the next run takes over one a killed run made. Off by default here: a YAML stack has no random stack id, and two state backends with the same stack names against one server would share marked objects.',
        },
      },
    },
    provider: { description: "The incus provider: stack config `incus:*` says which Incus to use." },
    resources,
    functions,
    types: types.types,
    // For the SDK generators (scripts/gensdk): without respectSchemaVersion the SDKs say 0.0.0, and the engine then
    // looks for plugin v0.0.0.
    language: {
      python: { packageName: "pulumi_incus", respectSchemaVersion: true, pyproject: { enabled: true } },
      go: { importBasePath: GO_MODULE, respectSchemaVersion: true, generateResourceContainerTypes: true },
    },
  };
}

export function schemaModule(): string {
  return [
    "// GENERATED by scripts/generate-schema.ts from provider/kinds/*.ts: do not edit; run `npm run generate`.",
    "// The Pulumi package schema of the `incus` resource provider plugin (provider/plugin/main.ts serves it).",
    `export const packageSchema: Record<string, unknown> = ${JSON.stringify(generateSchema(), null, 2)};`,
    "",
  ].join("\n");
}

if (require.main === module) {
  const text = schemaModule();
  const current = fs.existsSync(SCHEMA_FILE) ? fs.readFileSync(SCHEMA_FILE, "utf8") : "";
  if (process.argv.includes("--check")) {
    if (current !== text) {
      console.error(`${path.relative(process.cwd(), SCHEMA_FILE)} is stale: run \`npm run generate\``);
      process.exit(1);
    }
  } else if (current !== text) {
    fs.writeFileSync(SCHEMA_FILE, text);
    console.log(`wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
  }
}
