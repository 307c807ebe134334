// Objects the program reads without managing them: `getXxx(args)`, `getXxxs(args)` and `Kind.get(name, id)`. The
// kind's path doubles as the pattern of an id and the list of identity fields a lookup takes.
import { isNotFound } from "../client";
import { CONNECTION_KEYS, defined, type EngineBase, LOOKUP_KEY } from "./base";
import { isPlainObject, type State } from "./fields";
import { dropUnset, fieldName, issueMessage, schemaShape } from "./inputs";
import type { CommonInputs, Context, FieldSpec, Live } from "./kind";
import { withDetails } from "./live";
import { applicable, serverOf, unmet } from "./server";
import { perMember } from "./target";

/**
 * The kind's path as a pattern an id must match, and the identity fields it names (name, parents such as the
 * pool or instance, a forward's listen address): each field the path reads becomes a capture group. Lookups
 * (getXxx) take these fields as their arguments.
 */
export function idPattern<I extends CommonInputs>(e: EngineBase<I>): { pattern: RegExp; fields: string[]; example: string } {
  const fields: string[] = [];
  // Only characters encodeURIComponent keeps, so a kind that encodes its path segments keeps the token whole.
  const token = (field: string) => `~~${field}~~`;
  const probe = new Proxy({} as State, {
    get: (_t, prop) => {
      if (typeof prop !== "string") return undefined;
      if (!fields.includes(prop)) fields.push(prop);
      return token(prop);
    },
  });
  const template = e.spec.path(probe as unknown as I);
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const source = escaped.replace(/~~([A-Za-z]+)~~/g, "([^/?]+)");
  const example = template.replace(/~~([A-Za-z]+)~~/g, (_m, f: string) => `<${f}>`);
  return { pattern: new RegExp(`^${source}$`), fields, example };
}

/** `Kind.get(name, id)`: the id is the object's API path (with `?project=`). In a refresh, a 404 means gone. */
export async function readById<I extends CommonInputs>(e: EngineBase<I>, id: string, props: State, refreshing = false) {
  const [path, query] = id.split("?", 2);
  const { pattern, fields: idFields, example } = idPattern(e);
  const match = pattern.exec(path);
  if (!match) {
    throw new Error(
      `${e.spec.type}.get: id "${id}" is not the API path of a ${e.spec.type.toLowerCase()}; expected "${example}${e.spec.scoped ? "?project=<project>" : ""}"`,
    );
  }
  // The identity the path carries (parents such as a volume's pool), as the inputs name it.
  const identity = Object.fromEntries(idFields.map((f, i) => [f, decodeURIComponent(match[i + 1])]));
  const params = new URLSearchParams(query ?? "");
  const project = params.get("project") ?? "default";
  // A per-member object's id names its member (`?target=`).
  const ctx = e.context({ ...props, project, target: params.get("target") ?? undefined });
  await refuseWhatServerLacks(e, ctx, { ...identity, project }, `${e.spec.type}.get`);
  let live: Live;
  try {
    live = await withDetails(e, ctx, (await ctx.client.get<Live>(path, e.reqOpts(ctx))).value, identity as Partial<I>);
  } catch (err) {
    if (isNotFound(err) && refreshing) return {};
    if (isNotFound(err)) throw new Error(`${e.spec.type}.get: no ${e.spec.type.toLowerCase()} at "${id}" (Incus answered: ${e.message(err)})`);
    throw new Error(`${e.spec.type}.get("${id}"): ${e.message(err)}`);
  }
  return { id, props: defined({ ...asFound(e, ctx, live, identity), [LOOKUP_KEY]: true }) };
}

/**
 * A live object as `Kind.get` and the lookups report it: its identity, every field as the server has it (a lookup
 * manages nothing, so none is the program's) and the kind's outputs.
 */
function asFound<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, live: Live, identity: State): State {
  const m = e.model;
  const visible = (f: string, fs: FieldSpec) => {
    const v = m.liveValue(f, fs, live);
    return m.isMap(fs) && isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !fs.serverKeys?.(k))) : v;
  };
  const fields = Object.fromEntries(
    m
      .entries()
      .filter(([, fs]) => fs.mode !== "create")
      .map(([f, fs]) => [f, visible(f, fs)]),
  );
  const extra = Object.entries(e.spec.lookup?.fields ?? {}) as [string, (live: Live) => unknown][];
  for (const [f, read] of extra) fields[f] = read(live);
  const name = e.spec.nameIsLabel ? {} : { name: live.name };
  return e.outputs({ ...name, ...identity, ...fields, ...(e.spec.scoped ? { project: ctx.project } : {}) }, live, ctx);
}

/** How a lookup names the object it looked for, e.g. `StorageVolume "data" (pool "default") in project "lab"`. */
function lookupTitle<I extends CommonInputs>(e: EngineBase<I>, identity: State, ctx: Context): string {
  const parents = Object.entries(identity)
    .filter(([k]) => k !== "name")
    .map(([k, v]) => `${k} "${v}"`)
    .join(", ");
  const main = e.spec.title ? e.titleOf(identity) : identity.name !== undefined ? `"${identity.name}"` : "";
  const where = e.spec.scoped ? ` in project "${ctx.project ?? "default"}"` : "";
  const title = main ? `${main}${parents && !e.spec.title ? ` (${parents})` : ""}` : parents;
  return `${e.spec.type} ${title}${where}`;
}

/**
 * `getXxx(args)` in the program's process: the object the arguments name (its identity fields, or another way
 * the kind offers such as an image's alias) in the given or the stack's project, as `asFound` reports it. Fails
 * with a message naming the kind, the identity and the project when there is no such object.
 */
export async function lookupObject<I extends CommonInputs>(e: EngineBase<I>, argsRaw: State): Promise<State> {
  const fn = `get${e.spec.type}`;
  const args = dropUnset(argsRaw);
  const fields = idPattern(e).fields;
  const by = e.spec.lookup?.by ?? {};
  const alternatives = Object.keys(by);
  const known = new Set([...fields, ...alternatives, "project", ...(perMember(e.spec) ? ["target"] : []), ...CONNECTION_KEYS]);
  const stray = Object.keys(args).filter((k) => !known.has(k));
  if (stray.length)
    throw new Error(`${fn}: no such argument ${stray.map((k) => `\`${k}\``).join(", ")} (it takes ${[...known].map((k) => `\`${k}\``).join(", ")})`);
  // Each argument as the kind's schema has it (identity fields), else a non-empty string (where to look).
  const shape = schemaShape(e.spec.schema);
  for (const [k, v] of Object.entries(args)) {
    const rule = fields.includes(k) ? shape[k] : undefined;
    const parsed = rule?.safeParse(v);
    if (parsed && !parsed.success) throw new Error(`${fn}: \`${k}\`: ${issueMessage(parsed.error.issues[0])} (${JSON.stringify(v)})`);
    if (!rule && (typeof v !== "string" || v === "")) throw new Error(`${fn}: \`${k}\` must be a non-empty string, not ${JSON.stringify(v)}`);
  }
  const ctx = e.context(args);
  if (e.spec.scoped && !ctx.project) ctx.project = "default";
  await refuseWhatServerLacks(e, ctx, { ...args, project: ctx.project }, fn);
  let identity: State = Object.fromEntries(fields.filter((f) => args[f] !== undefined).map((f) => [f, args[f]]));
  const alternative = alternatives.find((a) => args[a] !== undefined);
  if (alternative) {
    const found = await by[alternative].resolve(ctx, args[alternative]).catch((err) => {
      throw new Error(`${fn}: ${e.message(err)}`);
    });
    const where = e.spec.scoped ? ` in project "${ctx.project}"` : "";
    if (!found) throw new Error(`${fn}: no ${e.spec.type.toLowerCase()} with ${alternative} "${args[alternative]}"${where}`);
    identity = { ...identity, ...found };
  }
  if (perMember(e.spec) && args.target !== undefined) identity.target = args.target;
  const missing = fields.filter((f) => identity[f] === undefined);
  if (missing.length) {
    const ways = [missing.map((f) => `\`${f}\``).join(" and "), ...alternatives.map((a) => `\`${a}\``)];
    throw new Error(`${fn}: give ${ways.join(" or ")}`);
  }
  let live: Live;
  try {
    live = await withDetails(e, ctx, (await ctx.client.get<Live>(e.spec.path(identity as I), e.reqOpts(ctx))).value, identity as Partial<I>);
  } catch (err) {
    if (isNotFound(err)) throw new Error(`${fn}: ${lookupTitle(e, identity, ctx)} does not exist (Incus answered: ${e.message(err)})`);
    throw new Error(`${fn}: ${lookupTitle(e, identity, ctx)}: ${e.message(err)}`);
  }
  // With the project's feature off (features.profiles, …) Incus answers with the default project's object: say so.
  if (e.spec.scoped && typeof live.project === "string" && live.project !== "" && live.project !== ctx.project) ctx.project = live.project;
  return withoutStackOutputs(e, asFound(e, ctx, live, identity));
}

function withoutStackOutputs<I extends CommonInputs>(e: EngineBase<I>, found: State): State {
  for (const key of e.spec.stackOutputs ?? []) delete found[key];
  return found;
}

/**
 * `getXxxs(args)`: every object of the kind in the project (one list request) that matches the kind's filters, each
 * as `lookup` reports it.
 */
export async function lookupObjects<I extends CommonInputs>(e: EngineBase<I>, argsRaw: State): Promise<State[]> {
  const list = e.spec.lookup?.list;
  const fn = `get${e.spec.type}s`;
  if (!list) throw new Error(`${fn}: ${e.spec.type} has no list lookup`);
  const { project, remote, socket, configDir, ...rest } = dropUnset(argsRaw);
  const parsed = list.filters.safeParse(rest);
  if (!parsed.success) throw new Error(`${fn}: ${parsed.error.issues.map((i) => `${fieldName(i.path)}: ${issueMessage(i)}`).join("; ")}`);
  const ctx = e.context({ project, remote, socket, configDir });
  if (e.spec.scoped && !ctx.project) ctx.project = "default";
  await refuseWhatServerLacks(e, ctx, { project: ctx.project }, fn);
  const { fields, example } = idPattern(e);
  const collection = example.replace(/\/[^/]+$/, "");
  if (/<\w+>/.test(collection)) throw new Error(`${fn}: ${e.spec.type} lives under a parent; no list lookup`);
  let objects: Live[];
  try {
    objects = await ctx.client.list<Live>(collection, { ...e.reqOpts(ctx), recursion: list.recursion ?? 1 });
  } catch (err) {
    throw new Error(`${fn}${e.spec.scoped ? ` in project "${ctx.project}"` : ""}: ${e.message(err)}`);
  }
  const key = e.spec.listKey ?? { input: "name", api: "name" };
  const out: State[] = [];
  for (const live of objects.filter((o) => list.matches(o, parsed.data))) {
    const identity = Object.fromEntries(fields.map((f) => [f, live[f === key.input ? key.api : e.model.api(f)]]));
    out.push(withoutStackOutputs(e, asFound(e, ctx, await withDetails(e, ctx, live, identity as Partial<I>), identity)));
  }
  return out;
}

/**
 * A lookup of what the server lacks (a bucket on LXD, a zone in a project without projects_networks_zones) answers as
 * the resource's preview does, naming the lookup, the server and the API extension, instead of the server's 404.
 * Costs the connection's one GET /1.0, and only when a requirement applies to the arguments.
 */
async function refuseWhatServerLacks<I extends CommonInputs>(e: EngineBase<I>, ctx: Context, args: State, fn: string): Promise<void> {
  const { requires, fieldRequires } = e.spec;
  if (!applicable(requires, fieldRequires, args).length) return;
  const server = await serverOf(ctx.client).catch(() => undefined); // unreachable: the read below says so
  const failure = server && unmet(server, requires, fieldRequires, args);
  if (failure) throw new Error(`${fn}: ${failure.reason}`);
}
