// `pulumi import`: the object an id names (its API path, with `?project=` for a project's objects) as a resource the
// stack manages from then on. Pulumi asks for it with a read that has an id and nothing else, which the plugin cannot
// tell from the read of a YAML `get:`; so the answer is the lookup's (outputs: every field as the server has it, as
// `get:` reports them), plus the inputs a program would declare, which Pulumi stores for an import and writes out
// as its code (a `get:` ignores them): the identity and every field the server has set, without the server's own
// keys (volatile.*, the owner mark) and without empty fields. Fields left empty match the live object in a diff, so
// the program Pulumi writes previews clean.
import { isDeepStrictEqual } from "node:util";
import type { EngineBase } from "./base";
import type { State } from "./fields";
import type { CommonInputs } from "./kind";
import { idPattern, readById } from "./lookup";

export async function importById<I extends CommonInputs>(e: EngineBase<I>, id: string): Promise<{ id: string; props: State; inputs: State }> {
  const { props } = (await readById(e, id, {})) as { props: State };
  // The project too, even "default": the program then means this object whatever project the stack's config names.
  const identity = [...(e.spec.nameIsLabel ? [] : ["name"]), ...idPattern(e).fields, ...(e.spec.scoped ? ["project"] : [])];
  const inputs: State = Object.fromEntries(identity.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
  const empty = Object.fromEntries(e.model.entries().map(([f, fs]) => [f, fs.empty]));
  for (const f of [...Object.keys(empty), ...Object.keys(e.spec.lookup?.fields ?? {})]) {
    const v = props[f];
    const unset = v === undefined || v === null || isDeepStrictEqual(v, empty[f]) || (Array.isArray(v) && v.length === 0);
    if (!unset && !(f in inputs)) inputs[f] = v;
  }
  return { id, props, inputs };
}
