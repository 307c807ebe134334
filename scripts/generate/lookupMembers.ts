// What a kind's lookups take and give (getXxx's arguments and result, getXxxs's filters), from its declaration: the
// TypeScript SDK and the plugin schema both list these members.
import type { z } from "zod";
import { KindEngine } from "../../provider/engine/engine";
import type { KindSpec } from "../../provider/engine/kind";
import { schemaShape } from "../../provider/engine/inputs";
import { kindDocs, outputType } from "./kindFacts";
import { typeText, unwrap } from "./zodText";

/** "StorageVolume" → "storage volume", for docs. */
const words = (type: string) => type.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();

/** Docs of the arguments every lookup takes to say where to look. */
const WHERE_DOCS: Record<string, string> = {
  project: "The project to look in. Default: stack config `incus:project`, else the remote's project (usually `default`).",
  remote:
    "The Incus to ask: a remote of the incus CLI's config.yml (`local` or an HTTPS remote) or an address. Default: stack config `incus:remote`, else the CLI's default remote.",
  socket: "An explicit unix socket of the Incus daemon; wins over `remote`. Default: stack config `incus:socket`, else the socket the incus CLI would use.",
  configDir:
    "The incus CLI's config directory (config.yml, client certificate, pinned server certificates). Default: stack config `incus:configDir`, else the CLI's.",
};

export interface Member {
  key: string;
  doc: string;
  type: string;
  /** The field's own schema, where the member is one (the plugin schema's type); else `type` says it. */
  schema?: z.ZodType;
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

function whereMembers(spec: KindSpec<any, any>): Member[] {
  return Object.entries(WHERE_DOCS)
    .filter(([k]) => k !== "project" || spec.scoped)
    .map(([key, doc]) => ({ key, doc, type: "string", optional: true }));
}

/** What a kind's lookups take and give: getXxx's arguments and result, getXxxs's arguments (kinds with a list lookup). */
export function lookupMembers(type: string, spec: KindSpec<any, any>) {
  const docs = kindDocs(type);
  const engine = new KindEngine(spec);
  const shape = schemaShape(spec.schema);
  const word = words(type);
  const identity = engine.lookupIdentity();
  const alternatives = Object.entries(spec.lookup?.by ?? {});
  // A kind whose results report a secret output (a bucket key's secret key) gives secret Outputs.
  const secretResult = (spec.secretOutputs ?? []).some((k) => !(spec.stackOutputs ?? []).includes(k));
  const or = alternatives.map(([k]) => `\`${k}\``).join(" or ");
  const fieldDoc = (key: string) => {
    const d = shape[key] ? unwrap(shape[key]).description : undefined;
    if (!d) throw new Error(`generate-sdk: ${type}.${key} has no description`);
    return d;
  };
  // An identity field the schema lacks (an output-only key) is a string, named by the kind's output docs.
  const identityDoc = (key: string) =>
    key === "name" ? `The ${word}'s name in Incus.` : (docs.outputs[key] ?? (shape[key] ? fieldDoc(key) : `The ${word}'s ${words(key)}.`));
  const identityType = (key: string) => (shape[key] ? typeText(unwrap(shape[key]).inner, "output", "  ") : "string");
  const identitySchema = (key: string) => (shape[key] ? unwrap(shape[key]).inner : undefined);
  const args: Member[] = [
    ...identity.map((key) => ({
      key,
      doc: identityDoc(key) + (alternatives.length ? ` Give this or ${or}.` : ""),
      type: identityType(key),
      schema: identitySchema(key),
      optional: alternatives.length > 0,
    })),
    // A per-member object (a volume on a cluster) is looked for on the member `target` names.
    ...(spec.clusterTarget === "member" ? [{ key: "target", doc: fieldDoc("target"), type: "string", optional: true }] : []),
    ...alternatives.map(([key, alt]) => {
      const f = unwrap(alt.schema);
      if (!f.description) throw new Error(`generate-sdk: ${type}.lookup.by.${key} has no description`);
      return { key, doc: f.description, type: typeText(f.inner, "output", "  "), schema: f.inner, optional: true };
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
  for (const key of identity) add({ key, doc: identityDoc(key), type: identityType(key), schema: identitySchema(key), optional: false });
  if (spec.scoped)
    add({
      key: "project",
      doc: "The project the object lives in (the `default` project when the project named does not have this kind's feature on, as Incus then serves the default project's).",
      type: "string",
      optional: false,
    });
  for (const [key, fs] of Object.entries(spec.fields as Record<string, { mode: string; empty?: unknown }>)) {
    if (fs.mode === "create") continue;
    const f = unwrap(shape[key]);
    add({ key, doc: withoutDefault(fieldDoc(key)), type: typeText(f.inner, "output", "  "), schema: f.inner, optional: fs.empty === undefined && f.optional });
  }
  for (const key of Object.keys(spec.lookup?.fields ?? {})) {
    const inner = unwrap(shape[key]).inner;
    add({ key, doc: withoutDefault(fieldDoc(key)), type: typeText(inner, "output", "  "), schema: inner, optional: false });
  }
  for (const key of (spec.outputKeys ?? []).filter((k) => !(spec.stackOutputs ?? []).includes(k)))
    add({ key, doc: docs.outputs[key], type: docs.outputTypes?.[key] ?? outputType(sample[key], type, key), optional: false });

  // A singleton (a path with no identity fields) is looked up with no arguments.
  const required = args.some((m) => !m.optional) || alternatives.length > 0;
  const byWhat = [identity.map((k) => `\`${k}\``).join(" and "), ...alternatives.map(([k]) => `\`${k}\``)].join(" or ");
  const listArgs = spec.lookup?.list
    ? [
        ...Object.entries(spec.lookup.list.filters.shape as Record<string, z.ZodType>).map(([key, field]): Member => {
          const f = unwrap(field);
          if (!f.description) throw new Error(`generate-sdk: ${type}.lookup.list.filters.${key} has no description`);
          return {
            key,
            doc: f.description,
            type: typeText(f.inner, "output", "  "),
            schema: f.inner,
            inputType: `pulumi.Input<${typeText(f.inner, "input", "  ")}>`,
            optional: true,
          };
        }),
        ...whereMembers(spec),
      ]
    : undefined;
  const what = `Looks up ${identity.length ? `an existing ${word} by ${byWhat}` : `the ${word}`}, in the program's own process (during previews too), reaching Incus as resources do (stack config \`incus:*\`, else the incus CLI's config). Fails, naming the ${word} and the project, when there is none.`;
  return { word, args, result, required, secretResult, listArgs, what };
}
