// The dynamic provider object Pulumi serialises into state as code. It must stay tiny and capture nothing but
// the kind's name: every method requires the real implementation by package name when it runs, in the provider
// process (so clients, sockets and pools are never serialised, and state does not grow with our code).
//
// Each kind's provider object is also the whole export of a module of its own, sdk/generated/dynamic/<Kind>.ts,
// and resources take it from there (providerModule). When the package is installed (in node_modules), Pulumi's
// closure serialiser then records the provider as `require("pulumi-incus/dynamic/<Kind>")` (the package's
// `./dynamic/*` export) instead of the text of its 7 methods: ~0.2 KB in place of 3.3 KB, twice per resource in
// state (inputs and outputs) and in every message between the engine and the provider process, and in every
// checkpoint the engine writes. A package linked from a checkout outside node_modules is serialised by value.
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";

/**
 * A kind's provider object. Each sdk/dynamic/<Kind>.ts calls this once and `require` caches that module, so there is
 * one object per kind (Pulumi caches the serialised text per provider object).
 */
export function providerFor(type: string): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      require("pulumi-incus/provider").configure({
        remote: req.config.get("incus:remote"),
        project: req.config.get("incus:project"),
        socket: req.config.get("incus:socket"),
        configDir: req.config.get("incus:configDir"),
        server: req.config.get("incus:server"),
        timeout: req.config.get("incus:timeout"),
        reconnectTimeout: req.config.get("incus:reconnectTimeout"),
        markOwner: req.config.get("incus:markOwner"),
      });
    },
    async check(olds, news) {
      return require("pulumi-incus/provider").engineFor(type).check(olds, news);
    },
    async diff(id, olds, news) {
      return require("pulumi-incus/provider").engineFor(type).diff(id, olds, news);
    },
    async create(inputs) {
      return require("pulumi-incus/provider").engineFor(type).create(inputs);
    },
    async read(id, props) {
      return require("pulumi-incus/provider").engineFor(type).read(id, props);
    },
    async update(id, olds, news) {
      return require("pulumi-incus/provider").engineFor(type).update(id, olds, news);
    },
    async delete(id, props) {
      return require("pulumi-incus/provider").engineFor(type).delete(id, props);
    },
  };
}

const modules = new Map<string, string>();

/**
 * The kind's provider object, taken from its own module (see the top of this file): the copy of the package that the
 * program's own directory resolves by name, when there is one. Pulumi records a module by its path below the first
 * `node_modules`, so a copy nested in another package (`lib/node_modules/pulumi-incus/…`) would be recorded by a path
 * that breaks once npm hoists the package; the copy the program resolves is recorded as `pulumi-incus/dynamic/<Kind>`
 * in every layout, and two copies in one program then share one provider.
 */
export function providerModule(type: string): pulumi.dynamic.ResourceProvider {
  let path = modules.get(type);
  if (path === undefined) {
    try {
      // Resolved as the program's own code would (`require.resolve` with `paths` would let this copy resolve its own
      // name to itself first).
      path = createRequire(join(process.cwd(), "index.js")).resolve(`pulumi-incus/dynamic/${type}`);
    } catch {
      // No copy the program resolves by name (or one too old to have this kind): this copy's own module.
      path = require.resolve(`./generated/dynamic/${type}`);
    }
    modules.set(type, path);
  }
  return require(path) as pulumi.dynamic.ResourceProvider;
}
