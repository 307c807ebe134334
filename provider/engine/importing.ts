// `pulumi import`: the object an id names (its API path, with `?project=` for a project's objects) as a resource the
// stack manages from then on. The inputs are what a program would declare for it (Pulumi writes them out as the
// program's code): its identity and every field the server has set, without the server's own keys (volatile.*, the
// owner mark) and without empty fields. The outputs are what a create would have recorded with those inputs.
import { isDeepStrictEqual } from "node:util";
import { type EngineBase, LOOKUP_KEY } from "./base";
import type { State } from "./fields";
import type { CommonInputs } from "./kind";
import { idPattern, readById } from "./lookup";

export async function importById<I extends CommonInputs>(e: EngineBase<I>, id: string): Promise<{ id: string; props: State; inputs: State }> {
  const found = await readById(e, id, {}).catch((err: Error) => {
    throw new Error(err.message.replace(`${e.spec.type}.get`, `import of ${e.spec.type}`));
  });
  const { [LOOKUP_KEY]: _lookup, ...props } = found.props as State;
  // The project too, even "default": the program then means this object whatever project the stack's config names.
  const identity = [...(e.spec.nameIsLabel ? [] : ["name"]), ...idPattern(e).fields, ...(e.spec.scoped ? ["project"] : [])];
  const inputs: State = Object.fromEntries(identity.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
  const empty = Object.fromEntries(e.model.entries().map(([f, fs]) => [f, fs.empty]));
  for (const f of [...Object.keys(empty), ...Object.keys(e.spec.lookup?.fields ?? {})]) {
    if (props[f] === undefined || props[f] === null || isDeepStrictEqual(props[f], empty[f])) delete props[f];
    else if (!(f in inputs)) inputs[f] = props[f];
  }
  return { id, props, inputs };
}
