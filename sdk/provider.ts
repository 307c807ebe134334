// The dynamic provider object Pulumi serialises into state as code. It must stay tiny and capture nothing but
// the kind's name: every method requires the real implementation by package name when it runs, in the provider
// process (so clients, sockets and pools are never serialised, and state does not grow with our code).
import type * as pulumi from "@pulumi/pulumi";

const cache = new Map<string, pulumi.dynamic.ResourceProvider>();

export function providerFor(type: string): pulumi.dynamic.ResourceProvider {
  let provider = cache.get(type);
  if (!provider) {
    provider = {
      async configure(req) {
        require("pulumi-incus/provider").configure({
          remote: req.config.get("incus:remote"),
          project: req.config.get("incus:project"),
          socket: req.config.get("incus:socket"),
          configDir: req.config.get("incus:configDir"),
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
    // One object per kind: Pulumi caches the serialised text per provider object.
    cache.set(type, provider);
  }
  return provider;
}
