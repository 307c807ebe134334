// The `incus` resource provider plugin: every kind of provider/kinds served over Pulumi's provider protocol (for
// Pulumi YAML and other languages), by the same KindEngine the dynamic providers use. This file translates between
// the protocol and the engine: secrets arrive as marked values (the plugin accepts secrets) and are handed to the
// engine as plain values plus their paths (`__secretPaths`, exactly what the TypeScript SDK sends), and everything
// returned is marked secret again at the same paths; the default name and the owner come from the URN. The lookups
// (getXxx, getXxxs) are its functions (Invoke), run by the same engine code as the TypeScript SDK's.
import type * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import type { DetailedDiff, DiffResult } from "../engine/engine";
import { providerSettings } from "../engine/connection";
import { OWNER_KEY } from "../engine/inputs";
import { credentialPaths, SECRETS_KEY, type SecretPath, secretPaths } from "../engine/secrets";
import { engineFor, type KindName, kinds } from "../index";
import { sanitizeName } from "../../sdk/names";
import { schemaShape } from "../engine/inputs";
import { packageSchema } from "./generated/schema";

/** Protocol markers (pulumi/sdk: runtime/rpc): a value wrapped as `{ [SIG_KEY]: SECRET_SIG, value }` is secret. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

type State = Record<string, unknown>;
const isObject = (v: unknown): v is State => !!v && typeof v === "object" && !Array.isArray(v);

/** A value with every secret marker removed, and the paths of the values that were marked. */
export function reveal(value: unknown, path: SecretPath = [], found: SecretPath[] = []): { value: unknown; paths: SecretPath[] } {
  const walk = (v: unknown, p: SecretPath): unknown => {
    if (isObject(v) && v[SIG_KEY] === SECRET_SIG) {
      found.push(p);
      return walk(v.value, p);
    }
    if (isObject(v) && v[SIG_KEY] === OUTPUT_SIG) {
      if (v.secret === true) found.push(p);
      return walk(v.value, p);
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k])]));
    return v;
  };
  return { value: walk(value, path), paths: found };
}

/** The value with the values at `paths` marked secret (a path that is not there is skipped). */
export function conceal(value: unknown, paths: SecretPath[]): unknown {
  const secretAt = (p: SecretPath) => paths.some((s) => s.length === p.length && s.every((seg, i) => String(seg) === String(p[i])));
  const walk = (v: unknown, p: SecretPath): unknown => {
    if (v === undefined) return v;
    if (p.length && secretAt(p)) return { [SIG_KEY]: SECRET_SIG, value: v };
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k])]));
    return v;
  };
  return walk(value, []);
}

/** What the protocol's Struct can carry: no undefined values. */
const plain = (v: unknown): State => JSON.parse(JSON.stringify(v ?? {}));

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → its parts (the type may carry a parent prefix `a$b`). */
export function parseUrn(urn: string): { stack: string; project: string; kind: string; name: string } {
  const [head, project, qualified, ...rest] = urn.split("::");
  const type = qualified.split("$").pop()!;
  return { stack: head.replace(/^urn:pulumi:/, ""), project, kind: type.split(":")[2], name: rest.join("::") };
}

const nameLimits = new Map<string, number>();
/** The longest name the kind's rule accepts (the default name is cut to it, as the TypeScript SDK does). */
function nameLimit(kind: KindName): number {
  let n = nameLimits.get(kind);
  if (n === undefined) {
    const rule = schemaShape(kinds[kind].schema).name;
    n = 1;
    while (n < 255 && rule.safeParse(`a${"b".repeat(n)}`).success) n++;
    nameLimits.set(kind, n);
  }
  return n;
}

function engineOf(urn: string) {
  const { kind } = parseUrn(urn);
  if (!(kind in kinds)) throw new Error(`incus: unknown resource type ${kind}`);
  return { engine: engineFor(kind as KindName), kind: kind as KindName };
}

/** Output paths to keep secret: the inputs' secret paths, the kind's always-secret outputs and credential keys. */
function secretOutputPaths(kind: KindName, state: State): SecretPath[] {
  return [...secretPaths(state), ...(kinds[kind].secretOutputs ?? []).map((k) => [k]), ...engineFor(kind).secretKeysIn(state)];
}

/**
 * Secret paths of a kind's inputs: those the program marked, and the fields the kind always keeps secret (a bucket
 * key's secretKey) where given, even in plain text, as the TypeScript SDK marks them.
 */
function secretInputPaths(kind: KindName, inputs: State, marked: SecretPath[]): SecretPath[] {
  const own = (kinds[kind].secretOutputs ?? []).filter(
    (k) => inputs[k] !== undefined && inputs[k] !== null && !marked.some((p) => p.length === 1 && p[0] === k),
  );
  return [...marked, ...own.map((k) => [k])];
}

/** `incus:index:getProfile` → Profile; `incus:index:getInstances` → Instance, a list (the schema's functions). */
function lookupOf(token: string): { kind: KindName; list: boolean } {
  const fn = token.split(":")[2] ?? "";
  const kind = fn.slice(3);
  if (fn.startsWith("get") && kind in kinds) return { kind: kind as KindName, list: false };
  const single = kind.slice(0, -1);
  if (fn.startsWith("get") && kind.endsWith("s") && single in kinds && kinds[single as KindName].lookup?.list) return { kind: single as KindName, list: true };
  throw new Error(`incus: unknown function ${token}`);
}

/** A lookup's result with the kind's secret outputs and its credential keys (a server's `loki.auth.password`) marked secret. */
function concealFound(kind: KindName, found: State): State {
  const own = (kinds[kind].secretOutputs ?? []).filter((k) => found[k] !== undefined).map((k) => [k]);
  return plain(conceal(found, [...own, ...engineFor(kind).secretKeysIn(found)]));
}

/** An error that leaves the object in state (the engine's partial failure): its properties get their secrets back. */
function partial(err: unknown, kind: KindName, inputs: State): unknown {
  const e = err as { id?: string; properties?: State };
  if (e && typeof e === "object" && e.id) {
    const properties = e.properties ?? {};
    e.properties = plain(conceal(properties, secretOutputPaths(kind, { ...properties, [SECRETS_KEY]: inputs[SECRETS_KEY] })));
  }
  return err;
}

export interface PluginDiff extends DiffResult {
  detailed?: DetailedDiff;
}

export interface IncusPlugin extends provider.Provider {
  diffDetailed(id: string, urn: string, olds: State, news: State): Promise<PluginDiff>;
  importObject(id: string, urn: string): Promise<{ id: string; props: State; inputs: State }>;
}

export function incusPlugin(version: string): IncusPlugin {
  const diffDetailed = async (id: string, urn: string, olds: State, news: State): Promise<PluginDiff> => {
    const { engine } = engineOf(urn);
    const { result, detailed } = await engine.diffDetailed(id, reveal(olds).value as State, reveal(news).value as State);
    return { ...result, detailed };
  };
  return {
    version,
    schema: JSON.stringify({ ...packageSchema, version }),

    async check(urn: pulumi.URN, olds: State, news: State) {
      const { engine, kind } = engineOf(urn);
      const { project, stack, name } = parseUrn(urn);
      const revealed = reveal(news);
      const inputs = { ...(revealed.value as State) };
      delete inputs[SECRETS_KEY];
      delete inputs[OWNER_KEY];
      if (inputs.name === undefined || inputs.name === null || inputs.name === "") inputs.name = sanitizeName(name, nameLimit(kind));
      const secrets = secretInputPaths(kind, inputs, revealed.paths);
      if (secrets.length) inputs[SECRETS_KEY] = secrets;
      // The stack and the resource that make the object. A YAML program has no SDK to make the stack's random id, so
      // this names only org/project/stack and the URN, which two state backends can share: marked only when the stack
      // opts in (markOwner "true").
      if (providerSettings().markOwner === "true") inputs[OWNER_KEY] = `organization/${project}/${stack}::${urn}`;
      const result = await engine.check(reveal(olds).value as State, inputs);
      return result.inputs
        ? { ...result, inputs: plain(conceal(result.inputs, [...secretPaths(result.inputs), ...engine.secretKeysIn(result.inputs)])) }
        : result;
    },

    diff: (id, urn, olds, news) => diffDetailed(id, urn, olds, news),
    diffDetailed,

    async create(urn, inputsRaw) {
      const { engine, kind } = engineOf(urn);
      const inputs = reveal(inputsRaw).value as State;
      try {
        const { id, outs } = await engine.create(inputs);
        return { id, outs: plain(conceal(outs, secretOutputPaths(kind, { ...outs, [SECRETS_KEY]: inputs[SECRETS_KEY] }))) };
      } catch (err) {
        throw partial(err, kind, inputs);
      }
    },

    async read(id, urn, propsRaw) {
      const { engine, kind } = engineOf(urn);
      const props = reveal(propsRaw ?? {}).value as State;
      const result = await engine.read(id, props);
      // No id: the object is gone, and the engine drops it from the state.
      if (!result.id) return { id: "", props: {} };
      const paths = secretOutputPaths(kind, { ...(result.props ?? {}), [SECRETS_KEY]: props[SECRETS_KEY] });
      return {
        id: result.id,
        props: plain(conceal(result.props, paths)),
        ...(result.inputs ? { inputs: plain(conceal(result.inputs, secretInputPaths(kind, result.inputs, secretPaths(result.inputs)))) } : {}),
      };
    },

    // A read with no inputs (`pulumi import`, or a `get:`): the object, and the inputs a program would declare for it.
    async importObject(id, urn) {
      const { engine, kind } = engineOf(urn);
      const found = await engine.importObject(id);
      // Credential-looking keys (`user.api.token`, a zone peer's `key`) are stored secret, as the generator declares them.
      // The paths go with the inputs, as a check of the program that marks them secret records them.
      const credentials = credentialPaths(found.inputs);
      if (credentials.length) found.inputs[SECRETS_KEY] = found.props[SECRETS_KEY] = [...secretPaths(found.inputs), ...credentials];
      const inputPaths = [...secretInputPaths(kind, found.inputs, []), ...engine.secretKeysIn(found.inputs), ...credentials];
      return {
        id: found.id,
        props: plain(conceal(found.props, [...secretOutputPaths(kind, found.props), ...credentials])),
        inputs: plain(conceal(found.inputs, inputPaths)),
      };
    },

    // getXxx / getXxxs (YAML's `fn::invoke`, the Python and Go SDKs): the engine's lookups, as the TypeScript SDK runs
    // them in the program's process; the result's secrets go back marked, so the engine and the SDKs keep them secret.
    async invoke(token: string, argsRaw: State) {
      const { kind, list } = lookupOf(token);
      const args = reveal(argsRaw ?? {}).value as State;
      if (list) return { outputs: { items: (await engineFor(kind).lookupList(args)).map((found) => concealFound(kind, found)) } };
      return { outputs: concealFound(kind, await engineFor(kind).lookup(args)) };
    },

    async update(id, urn, oldsRaw, newsRaw) {
      const { engine, kind } = engineOf(urn);
      const news = reveal(newsRaw).value as State;
      try {
        const { outs } = await engine.update(id, reveal(oldsRaw).value as State, news);
        return { outs: plain(conceal(outs, secretOutputPaths(kind, { ...outs, [SECRETS_KEY]: news[SECRETS_KEY] }))) };
      } catch (err) {
        throw partial(err, kind, news);
      }
    },

    async delete(id, urn, props) {
      const { engine } = engineOf(urn);
      await engine.delete(id, reveal(props).value as State);
    },

    // The components (Construct): `incus:compose:Stack`, whose children are this plugin's resources. Loaded on first
    // use, so a plugin that serves no component never loads the compose parser.
    async construct(name, type, inputs, options) {
      const { COMPOSE_TYPE, constructCompose } = require("./compose") as typeof import("./compose");
      if (type !== COMPOSE_TYPE) throw new Error(`incus: unknown component ${type}`);
      return constructCompose(name, inputs, options);
    },
  };
}
