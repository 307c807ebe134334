// Help for a misspelt field at any depth of a kind's schema (`ports[0].listenPort` → `listen_port`): the fields the
// schema has at that place, and the one that was probably meant.
import type { z } from "zod";

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  getter?: () => z.ZodType;
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema itself, without the wrappers that do not change what it holds (optional, default, a transform). */
function unwrap(schema: z.ZodType): z.ZodType {
  for (let s = schema, i = 0; i < 20; i++) {
    const def = defOf(s);
    const next = def.innerType ?? (def.type === "pipe" ? def.in : def.type === "lazy" ? def.getter?.() : undefined);
    if (!next) return s;
    s = next;
  }
  return schema;
}

/** The field names of the object the schema holds at `path` (a zod issue's path), or none when it is no object. */
export function fieldsAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const seg of path) {
    if (!s) return [];
    const def = defOf(unwrap(s));
    s = def.type === "object" ? def.shape?.[String(seg)] : def.type === "array" ? def.element : def.type === "record" ? def.valueType : undefined;
  }
  const def = s ? defOf(unwrap(s)) : undefined;
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** A name with case and word separators gone: `listenPort`, `listen_port` and `LISTEN-PORT` are one. */
const folded = (s: string) => s.toLowerCase().replace(/[_-]/g, "");

/**
 * The known field nearest to a misspelt one: the same but for case or spelling style (camelCase, snake_case), else
 * at most 2 edits away.
 */
export function closestField(key: string, known: string[]): string | undefined {
  let best: [string, number] | undefined;
  for (const k of known) {
    const d = Math.min(distance(key, k), distance(folded(key), folded(k)));
    if (d <= 2 && (!best || d < best[1])) best = [k, d];
  }
  return best?.[0];
}
