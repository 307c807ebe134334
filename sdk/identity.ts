// The stack's own random id. The owner mark every object carries (`user.pulumi-incus.stack`) must name this stack
// instance, not just its org/project/stack names: two state backends (two developers' local file backends) can hold
// stacks of the same names against one Incus server, and must never take over each other's objects. A resource
// keeps the id in the stack's state: made once by the first `up`, the same on every later run, deleted last.
import * as pulumi from "@pulumi/pulumi";

export const IDENTITY_TYPE = "StackIdentity";
export const IDENTITY_NAME = "pulumi-incus-stack-identity";

// Pulumi serialises this object into state as code: it captures nothing, and needs nothing but node:crypto.
const identityProvider: pulumi.dynamic.ResourceProvider = {
  async create() {
    const uuid: string = require("node:crypto").randomUUID();
    return { id: uuid, outs: { uuid } };
  },
  async diff() {
    return { changes: false };
  },
  async read(id) {
    return { id, props: { uuid: id } };
  },
  async delete() {},
};

class StackIdentity extends pulumi.dynamic.Resource {
  declare readonly uuid: pulumi.Output<string>;
  constructor(name: string) {
    super(identityProvider, name, { uuid: undefined }, {}, "incus", IDENTITY_TYPE);
  }
}

// One per program run: keyed by the run's stack resource, since an Automation API inline program runs in the same
// process for every stack and update. The map lives on the process's global object, under a registered symbol: a
// program that loads two copies of this package (a component library with its own copy, a linked package) must make
// one stack identity, not one per copy (Pulumi would refuse the second as a duplicate URN).
const REGISTRY = Symbol.for("pulumi-incus.stack-identity");
const global = globalThis as { [REGISTRY]?: { made: WeakMap<object, pulumi.Output<string> | null>; noStack: object } };
const registry = (global[REGISTRY] ??= { made: new WeakMap(), noStack: {} });
const made = registry.made;
const NO_STACK = registry.noStack;

/** The stack's id (made on first use), or undefined when `incus:markOwner` is "false". */
export function stackIdentity(): pulumi.Output<string> | undefined {
  const key: object = pulumi.runtime.getStackResource() ?? NO_STACK;
  if (!made.has(key)) made.set(key, new pulumi.Config("incus").get("markOwner") === "false" ? null : new StackIdentity(IDENTITY_NAME).uuid);
  return made.get(key) ?? undefined;
}
