// One class factory for every kind: typed Args from the kind's zod schema, typed outputs from its outputs
// function, `get(name, id)` lookups, and the Pulumi type token `pulumi-nodejs:dynamic/incus:<Kind>`.
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { KindSpec } from "../provider/engine/kind";
import { sanitizeName, schemaShape } from "../provider/engine/inputs";
import { providerFor } from "./provider";

/** A value or an Output of it, all the way down (so maps and lists may hold Outputs of other resources). */
export type DeepInput<T> = T extends string | number | boolean | undefined | null
  ? pulumi.Input<T | null>
  : T extends (infer U)[]
    ? pulumi.Input<DeepInput<U>[]>
    : T extends object
      ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
      : pulumi.Input<T>;

/** The Args of a kind: its schema's input type, every field accepting Outputs, `name` optional. */
export type ArgsOf<S extends z.ZodType> = { [K in keyof Omit<z.input<S>, "name">]: DeepInput<z.input<S>[K]> } & {
  /** The Incus name; defaults to the Pulumi logical name, sanitised for Incus. */
  name?: pulumi.Input<string>;
};

/**
 * Paths of the inputs the program marked secret (`pulumi.secret(...)`, at any depth). The provider receives every
 * input unwrapped, so this is how it knows which values never to print or copy into derived outputs.
 */
function secretPaths(args: Record<string, unknown>): pulumi.Output<(string | number)[][] | undefined> {
  const found: Promise<(string | number)[] | undefined>[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (pulumi.Output.isInstance(value)) found.push(pulumi.isSecret(value).then((secret) => (secret ? path : undefined)));
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(args, []);
  return pulumi.output(Promise.all(found).then((paths) => {
    const secret = paths.filter((p): p is (string | number)[] => p !== undefined);
    return secret.length ? secret : undefined;
  }));
}

type OutputsOf<I, O> = { readonly [K in keyof I | keyof O]-?: pulumi.Output<K extends keyof O ? O[K] : K extends keyof I ? I[K] : never> };

export interface ResourceClass<Args, Outs> {
  new (name: string, args: Args, opts?: pulumi.CustomResourceOptions): pulumi.dynamic.Resource & Outs;
  /** Looks up an object that exists; `id` is its API path, e.g. `/1.0/profiles/web?project=lab`. */
  get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions): pulumi.dynamic.Resource & Outs;
}

export function resourceClass<S extends z.ZodType, O extends Record<string, unknown>>(
  spec: KindSpec<any, O>,
  schema: S,
  nameLimit = 63,
): ResourceClass<ArgsOf<S>, OutputsOf<z.output<S>, O>> {
  const type = spec.type;
  const shapeKeys = Object.keys(schemaShape(schema));
  const outputKeys = spec.outputKeys ?? [];
  class IncusResource extends pulumi.dynamic.Resource {
    constructor(name: string, args: ArgsOf<S>, opts?: pulumi.CustomResourceOptions) {
      // Every input and output key is present so each is exposed as an Output on the object.
      const props: Record<string, unknown> = {};
      for (const key of [...shapeKeys, ...outputKeys]) props[key] = undefined;
      Object.assign(props, args);
      // A lookup by id reads whatever the id names; otherwise the name defaults to the logical name.
      if (!opts?.id && (props.name === undefined || props.name === null || props.name === "")) props.name = sanitizeName(name, nameLimit);
      if (!opts?.id) props.__secretPaths = secretPaths(args as Record<string, unknown>);
      // Outputs the kind always keeps secret (e.g. digests of file contents).
      const secret = spec.secretOutputs ?? [];
      const options = secret.length ? { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secret] } : opts;
      super(providerFor(type), name, props, options, "incus", type);
    }

    static get(name: string, id: pulumi.Input<pulumi.ID>, opts?: pulumi.CustomResourceOptions) {
      return new IncusResource(name, {} as ArgsOf<S>, { ...opts, id });
    }
  }
  Object.defineProperty(IncusResource, "name", { value: type });
  return IncusResource as unknown as ResourceClass<ArgsOf<S>, OutputsOf<z.output<S>, O>>;
}
