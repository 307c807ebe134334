// One class factory for every kind: `get(name, id)` lookups, every input and output exposed as an Output, and the
// Pulumi type token `pulumi-nodejs:dynamic/incus:<Kind>`. The typed Args and Outputs of each kind are generated
// (sdk/generated/); nothing here loads the provider (its client, undici, ws), so a program only pays for it in
// the provider process that Pulumi starts.
import * as pulumi from "@pulumi/pulumi";
import { sanitizeName } from "./names";
import { stackIdentity } from "./identity";
import { providerModule } from "./provider";

export interface ResourceClass<Args, Outs> {
  new (name: string, args: Args, opts?: pulumi.CustomResourceOptions): pulumi.dynamic.Resource & Outs;
  /** Looks up an object that exists; `id` is its API path, e.g. `/1.0/profiles/web?project=lab`. */
  get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): pulumi.dynamic.Resource & Outs;
  /**
   * Whether `obj` is a resource of this kind, made by any copy of the package (two copies in one program have two
   * classes, so `instanceof` would miss the other's): it compares the Pulumi type token.
   */
  isInstance(obj: unknown): obj is pulumi.dynamic.Resource & Outs;
}

/**
 * Paths of the inputs the program marked secret (`pulumi.secret(...)`, at any depth). The provider receives every
 * input unwrapped, so this is how it knows which values never to print or copy into derived outputs.
 */
function secretPaths(args: Record<string, unknown>): pulumi.Output<(string | number)[][] | undefined> | undefined {
  const found: Promise<(string | number)[] | undefined>[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (pulumi.Output.isInstance(value)) found.push(pulumi.isSecret(value).then((secret) => (secret ? path : undefined)));
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, i]);
    else if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(args, []);
  // Only an Output can be a secret: with none among the inputs there is nothing to wait for (and one Output, one
  // promise and one stack trace fewer for Pulumi to make per resource).
  if (!found.length) return undefined;
  return pulumi.output(
    Promise.all(found).then((paths) => {
      const secret = paths.filter((p): p is (string | number)[] => p !== undefined);
      return secret.length ? secret : undefined;
    }),
  );
}

/**
 * The URN Pulumi gives a resource (as `pulumi.createUrn` computes it), as a plain promise: an Output of the parent's
 * URN would make the resource depend on its parent component, and so on every sibling.
 */
function urnOf(name: string, type: string, parent: pulumi.Resource | undefined): Promise<string> {
  const top = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::`;
  if (!parent) return Promise.resolve(`${top}${type}::${name}`);
  return new Promise<string>((resolve) =>
    parent.urn.apply((parentUrn) => {
      const prefix = `${parentUrn.substring(0, parentUrn.lastIndexOf("::"))}$`;
      resolve(`${prefix.endsWith("::pulumi:pulumi:Stack$") ? top : prefix}${type}::${name}`);
    }),
  );
}

/**
 * A map input with the values of its credential keys made secret. A map that is itself an Output (or a Promise) is
 * secret as a whole when it holds one.
 */
function withSecretKeys(map: unknown, keys: string[]): unknown {
  const holds = (m: unknown) =>
    !!m && typeof m === "object" && keys.some((k) => (m as Record<string, unknown>)[k] !== undefined && (m as Record<string, unknown>)[k] !== null);
  if (pulumi.Output.isInstance(map) || map instanceof Promise) return pulumi.output(map).apply((m) => (holds(m) ? pulumi.secret(m) : m));
  if (!holds(map)) return map;
  const out: Record<string, unknown> = { ...(map as Record<string, unknown>) };
  for (const k of keys) if (out[k] !== undefined && out[k] !== null) out[k] = pulumi.secret(out[k]);
  return out;
}

/**
 * The class of one kind. `inputKeys` and `outputKeys` list every property so each is exposed as an Output on the
 * object; a default name is cut to `nameLimit` characters.
 */
export function resourceClass<Args extends object, Outs>(
  type: string,
  inputKeys: string[],
  outputKeys: string[],
  nameLimit: number,
  /** Outputs the kind always keeps secret (e.g. digests of file contents). */
  secretOutputs: string[] = [],
  /** Map fields whose listed keys hold credentials (the server's `loki.auth.password`): those values are secret. */
  secretKeys: Record<string, string[]> = {},
): ResourceClass<Args, Outs> {
  class IncusResource extends pulumi.dynamic.Resource {
    constructor(name: string, args: Args, opts?: pulumi.CustomResourceOptions) {
      const props: Record<string, unknown> = {};
      for (const key of [...inputKeys, ...outputKeys]) props[key] = undefined;
      // An input the kind always keeps secret (a bucket key's secret key) is a secret even when given as plain text.
      const given: Record<string, unknown> = { ...(args as Record<string, unknown>) };
      for (const key of secretOutputs) if (inputKeys.includes(key) && given[key] !== undefined && given[key] !== null) given[key] = pulumi.secret(given[key]);
      for (const [field, keys] of Object.entries(secretKeys))
        if (given[field] !== undefined && given[field] !== null) given[field] = withSecretKeys(given[field], keys);
      Object.assign(props, given);
      // A lookup by id reads whatever the id names; otherwise the name defaults to the logical name.
      if (!opts?.id && (props.name === undefined || props.name === null || props.name === "")) props.name = sanitizeName(name, nameLimit);
      if (!opts?.id) props.__secretPaths = secretPaths(given);
      // Which stack instance and resource make the object (the provider's OWNER_KEY): written into it at create
      // (unless incus:markOwner is "false"), so an object made by a run that died is known as this resource's own,
      // and no other's. The stack's random id makes it unique per state backend, and orders the id's create first.
      // The mark names the resource by its URN: two resources of one stack (two components' children of the same
      // name) and a resource moved under another parent are different owners, so neither takes the other's object.
      const identity = opts?.id ? undefined : stackIdentity();
      if (identity) {
        const stack = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
        const urn = urnOf(name, `pulumi-nodejs:dynamic/incus:${type}`, opts?.parent);
        props.__owner = identity.apply(async (uuid) => `${stack}/${uuid}::${await urn}`);
      }
      // A replacement deletes the old object first unless the program says otherwise: Incus names are unique, so a
      // new object of the same name cannot exist beside the old one. The provider's diff says so for replacements it
      // finds itself, but Pulumi does not ask it for `pulumi up --replace`, a tainted resource or `replaceWith`.
      const options: pulumi.CustomResourceOptions = { ...opts, deleteBeforeReplace: opts?.deleteBeforeReplace ?? true };
      // A lookup by id reads credential keys too: the whole map is secret then (an output is secret as a whole).
      const secret = [...secretOutputs, ...(opts?.id ? Object.keys(secretKeys) : [])];
      if (secret.length) options.additionalSecretOutputs = [...(opts?.additionalSecretOutputs ?? []), ...secret];
      // Pulumi's runtime formats a stack trace (mapped through source maps) for each promise it makes while it
      // registers a resource, one per property: ~20 for these classes, about 10 ms a resource, more than the rest
      // of the program and the provider's own work together. Without them a 100-resource no-change `up` is ~1 s
      // faster. Pulumi's record of where the resource was declared has its own limit and is kept; a registration
      // the engine refuses is still reported with the resource's name and type.
      const limit = Error.stackTraceLimit;
      if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
      try {
        super(providerModule(type), name, props, options, "incus", type);
      } finally {
        Error.stackTraceLimit = limit;
      }
    }

    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions) {
      return new IncusResource(name, {} as Args, { ...opts, id });
    }

    // Pulumi's own isInstance (inherited) is true for any custom resource: this one only for this kind's. Resource
    // keeps the type token it registered as `__pulumiType`.
    static override isInstance(obj: unknown): obj is IncusResource {
      return !!obj && typeof obj === "object" && (obj as { __pulumiType?: unknown }).__pulumiType === `pulumi-nodejs:dynamic/incus:${type}`;
    }
  }
  Object.defineProperty(IncusResource, "name", { value: type });
  return IncusResource as unknown as ResourceClass<Args, Outs>;
}
