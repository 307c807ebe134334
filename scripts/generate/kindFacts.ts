// What a kind's declaration says about its fields and outputs, in the words and types the generated SDKs, schema and
// README use: what a change of a field does, the longest default name, an output's type, the kind's docs.
import type { KindDocs, KindSpec } from "../../provider/engine/kind";
import { schemaShape } from "../../provider/engine/inputs";
import { kinds } from "../../provider/kinds";

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
export function nameLimit(spec: KindSpec<any, any>): number {
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

/** The kind's `docs` (its declaration must have them). */
export function kindDocs(type: string): KindDocs {
  const docs = (kinds as Record<string, KindSpec<any, any>>)[type]?.docs;
  if (!docs) throw new Error(`generate-sdk: the ${type} declaration has no \`docs\``);
  return docs;
}
