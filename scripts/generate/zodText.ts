// Zod schemas as TypeScript text, for the generators: a field's type (in input form every nested value may be a
// pulumi.Input too), its doc and default, and doc comments wrapped as the generated files want them.
import type { z } from "zod";
import { configValue } from "../../provider/engine/inputs";

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

export type Mode = "input" | "output";

/** The TypeScript text of a schema's type. In input mode every nested value may be an Input too. */
export function typeText(s: z.ZodType, mode: Mode, indent: string): string {
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
    case "array": {
      const element = wrap(typeText(d.element, mode, indent));
      // A union of outputs needs parentheses: `(string | number)[]`, not `string | number[]`.
      return mode === "output" && ["union", "enum"].includes(defOf(d.element).type) ? `(${element})[]` : `${element}[]`;
    }
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
export const inputOf = (t: string, optional: boolean) => `pulumi.Input<${t}${optional ? " | null | undefined" : ""}>`;

export const propertyName = (key: string) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key));

export function withDefault(text: string, defaultValue: unknown): string {
  return defaultValue === undefined ? text : `${text} Default: \`${JSON.stringify(defaultValue)}\`.`;
}

/** A JSDoc block, wrapped at 110 columns. */
export function docComment(text: string, indent: string): string {
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
