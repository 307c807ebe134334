// Compose variable interpolation, done on the parsed file before it is validated (as compose does): `$VAR`,
// `${VAR}`, `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` / `${VAR?error}`, `${VAR:+alt}` / `${VAR+alt}`,
// nested values (`${A:-${B}}`) and `$$` for a literal `$`. Values come from the explicit variables, then the
// process environment, then the `.env` file. Errors name the path of the value they are in.
import { ComposeError, joinPath } from "./errors";

export type Variables = Record<string, string | undefined>;

/** Parses a `.env` file: `KEY=value` lines, `#` comments, optional `export `, single or double quotes. */
export function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'") && value.lastIndexOf(q) > 0) {
      value = value.slice(1, value.lastIndexOf(q));
      if (q === '"') value = value.replace(/\\n/g, "\n").replace(/\\"/g, '"');
    } else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

/** Interpolates one string; `where` names its path for errors. */
export function interpolateString(s: string, vars: Variables, where: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = s[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(s, i + 2);
      if (end < 0) throw new ComposeError(where, `unclosed "\${" in ${JSON.stringify(s)}`);
      out += substitute(s.slice(i + 2, end), vars, where);
      i = end + 1;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
      if (!m) {
        out += "$";
        i++;
        continue;
      }
      out += vars[m[0]] ?? "";
      i += 1 + m[0].length;
    }
  }
  return out;
}

function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === "$" && s[i + 1] === "{") {
      depth++;
      i++;
    } else if (s[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function substitute(expr: string, vars: Variables, where: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(expr);
  if (!m) throw new ComposeError(where, `invalid interpolation "\${${expr}}"`);
  const [, name, op, rest = ""] = m;
  const value = vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  const nested = () => interpolateString(rest, vars, where);
  switch (op) {
    case undefined:
      return value ?? "";
    case ":-":
      return nonEmpty ? value! : nested();
    case "-":
      return set ? value! : nested();
    case ":+":
      return nonEmpty ? nested() : "";
    case "+":
      return set ? nested() : "";
    default: {
      // ":?" and "?": a required variable.
      if (op === ":?" ? nonEmpty : set) return value!;
      const why = nested();
      throw new ComposeError(where, `required variable ${name} is ${set ? "empty" : "missing a value"}${why ? `: ${why}` : ""}`);
    }
  }
}

/** Interpolates every string value (not keys) of a parsed compose document, collecting every error. */
export function interpolate(doc: unknown, vars: Variables, errors: ComposeError[], path: (string | number)[] = []): unknown {
  if (typeof doc === "string") {
    try {
      return interpolateString(doc, vars, joinPath(path));
    } catch (err) {
      if (err instanceof ComposeError) errors.push(err);
      else throw err;
      return doc;
    }
  }
  if (Array.isArray(doc)) return doc.map((v, i) => interpolate(v, vars, errors, [...path, i]));
  if (doc && typeof doc === "object") return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, interpolate(v, vars, errors, [...path, k])]));
  return doc;
}
