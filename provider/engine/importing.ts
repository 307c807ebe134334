// `pulumi import`: the object an id names (its API path, with `?project=` for a project's objects) as a resource the
// stack manages from then on. Pulumi asks for it with a read that has an id and nothing else, which the plugin cannot
// tell from the read of a YAML `get:`; so the answer is the lookup's (outputs: every field as the server has it, as
// `get:` reports them), plus the inputs a program would declare, which Pulumi stores for an import and writes out
// as its code (a `get:` ignores them): the identity and every field the server has set, without the server's own
// keys (volatile.*, the owner mark) and without empty fields. Fields left empty match the live object in a diff, so
// the program Pulumi writes previews clean. On a cluster the id names the member too (`?target=<member>`).
import { isDeepStrictEqual } from "node:util";
import type { EngineBase } from "./base";
import type { State } from "./fields";
import type { CommonInputs } from "./kind";
import { idPattern, readById } from "./lookup";
import { satisfies } from "./target";

export async function importById<I extends CommonInputs>(e: EngineBase<I>, id: string): Promise<{ id: string; props: State; inputs: State }> {
  const { props } = (await readById(e, id, {})) as { props: State };
  const target = await placedOn(e, id, props);
  // The project too, even "default": the program then means this object whatever project the stack's config names.
  const identity = [...(e.spec.nameIsLabel ? [] : ["name"]), ...idPattern(e).fields, ...(e.spec.scoped ? ["project"] : [])];
  const inputs: State = Object.fromEntries(identity.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]));
  const empty = Object.fromEntries(e.model.entries().map(([f, fs]) => [f, fs.empty]));
  for (const f of [...Object.keys(empty), ...Object.keys(e.spec.lookup?.fields ?? {})]) {
    const v = props[f];
    const unset = v === undefined || v === null || isDeepStrictEqual(v, empty[f]) || (Array.isArray(v) && v.length === 0);
    if (!unset && !(f in inputs)) inputs[f] = v;
  }
  if (target) {
    inputs.target = target;
    props.target ??= target;
  }
  return { id, props, inputs };
}

/**
 * The `target` an imported object's program declares, on a cluster. A per-member object (volume, bucket, snapshot) is
 * read on the member its id names (`?target=<member>`, readById), and declared there even when the id names none (its
 * `location`), so the program keeps meaning that member's object. An instance is found by name alone: an id naming a
 * member (or `@group`) must name where it runs, which its program then declares.
 */
async function placedOn<I extends CommonInputs>(e: EngineBase<I>, id: string, props: State): Promise<string | undefined> {
  const named = new URLSearchParams(id.split("?", 2)[1] ?? "").get("target") ?? undefined;
  const location = typeof props.location === "string" && props.location !== "none" ? props.location : undefined;
  if (e.spec.clusterTarget === "member") return named ?? location;
  if (e.spec.clusterTarget !== "placement" || named === undefined) return undefined;
  if (!(await satisfies(e.context(props).client, named, location ?? ""))) {
    throw new Error(`${e.spec.type} import: id "${id}" names "${named}", but the ${e.spec.type.toLowerCase()} is on "${location ?? "none"}"`);
  }
  return named;
}
