// Lookups (getXxx, getXxxOutput, getXxxs): reads of existing objects, in the program's own process. A dynamic
// provider cannot serve invokes, so the program requires the provider's engine itself (by package name and only when
// a lookup runs: a program that makes no lookup never loads it) and reaches Incus the way resources do, from the
// stack's `incus:*` config and the incus CLI's config. Reads only, so they run in previews too.
import * as pulumi from "@pulumi/pulumi";

type State = Record<string, unknown>;
type Engine = { lookup(args: State): Promise<State>; lookupList(args: State): Promise<State[]>; secretKeysIn(found: State): (string | number)[][] };

let configuredWith: string | undefined;

/** The provider's engine, configured with this stack's `incus:*` settings (what `configure` gives the provider); again only when they change. */
function engine(type: string): Engine {
  return configuredProvider().engineFor(type);
}

/** The provider's module, configured as above (a component's own reads of the server use it too). */
export function configuredProvider(): any {
  const provider = require("pulumi-incus/provider");
  const config = new pulumi.Config("incus");
  const settings = {
    remote: config.get("remote"),
    project: config.get("project"),
    socket: config.get("socket"),
    configDir: config.get("configDir"),
    server: config.get("server"),
    timeout: config.get("timeout"),
    reconnectTimeout: config.get("reconnectTimeout"),
  };
  if (JSON.stringify(settings) !== configuredWith) {
    provider.configure(settings);
    configuredWith = JSON.stringify(settings);
  }
  return provider;
}

/**
 * `getXxx(args)`: one object, as its kind's `XxxResult`. Credential keys of its maps (the server's
 * `loki.auth.password`) are left out: a Promise hands plain values to the program, and those must never be plain.
 */
export async function lookup<R>(type: string, args: object): Promise<R> {
  const found = await engine(type).lookup({ ...args });
  for (const [field, key] of engine(type).secretKeysIn(found)) delete (found[field] as State)[key];
  return found as R;
}

/**
 * `getXxxOutput(args)`: the same, taking Inputs (other resources' outputs) and giving an Output. `secret` (set by the
 * generated code for a kind with secret outputs, a bucket key's secret key) makes it a secret Output, so nothing
 * derived from it reaches state or the CLI in plain text; so does a credential key in the result (the Output holds
 * those, the Promise form does not). The Promise forms hand the other values to the program, which must keep a
 * kind's secret outputs secret.
 */
export function lookupOutput<R>(type: string, args: object, secret = false): pulumi.Output<R> {
  const out = pulumi.output(args).apply(async (plain) => {
    const found = await engine(type).lookup({ ...(plain as object) });
    return engine(type).secretKeysIn(found).length ? pulumi.secret(found) : found;
  }) as unknown as pulumi.Output<R>;
  return secret ? (pulumi.secret(out) as unknown as pulumi.Output<R>) : out;
}

/** `getXxxs(args)`: every object of the kind that matches the filters. */
export function lookupList<R>(type: string, args: object = {}): Promise<R[]> {
  return engine(type).lookupList({ ...args }) as Promise<R[]>;
}

/** `getXxxsOutput(args)`: the same, taking Inputs and giving an Output (secret when `secret`, as above). */
export function lookupListOutput<R>(type: string, args: object = {}, secret = false): pulumi.Output<R[]> {
  const out = pulumi.output(args).apply((plain) => lookupList<R>(type, plain as object)) as pulumi.Output<R[]>;
  return secret ? (pulumi.secret(out) as unknown as pulumi.Output<R[]>) : out;
}
