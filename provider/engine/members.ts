// Per-member config of objects that exist on every member of a cluster (storage pools, networks): `memberConfig:
// { <member>: { <key>: value } }` for the keys Incus keeps per member (a pool's `source`, a bridge's
// `bridge.external_interfaces`). Measured on Incus 6.0.4:
// - a create on a cluster is one pending `POST <collection>?target=<member>` per member (its member keys only), then
//   the global POST; the global POST alone fails ("… not pending on any node");
// - `GET <path>?target=<member>` shows the global config plus that member's keys; the plain GET shows no member key;
// - a `PUT <path>?target=<member>` takes member keys only, and it also replaces the object's global description and
//   config by what its body has (none): after one, the global part is written back.
// A kind uses these through its `create` and `content` hooks; a standalone server needs none of it.
import { z } from "zod";
import { type IncusClient, isNotFound } from "../client";
import { configValue, isUnknown, shown } from "./inputs";
import type { Context, Live } from "./kind";
import { liveMap, liveStrings } from "./kind";

type MemberConfig = Record<string, Record<string, string>>;

/** The `memberConfig` field of a kind whose member keys are `keys`. */
export function memberConfigField(what: string, keys: readonly string[]) {
  const key = z.string().refine((k) => keys.includes(k), {
    message: `not a per-member key of a ${what} (${keys.map((k) => `\`${k}\``).join(", ")}); other keys go in \`config\``,
  });
  return z
    .record(z.string().min(1, "member names must not be empty"), z.record(key, configValue))
    .optional()
    .describe(
      `On a cluster: each member's own config (${keys.map((k) => `\`${k}\``).join(", ")}), by member name. Create makes the ${what} pending on every member with its entry, then creates it; a member with no entry gets Incus's defaults and shows as a difference. A standalone server takes none.`,
    );
}

const encodeTarget = (member: string) => encodeURIComponent(member);
const targeted = (path: string, member: string) => `${path}${path.includes("?") ? "&" : "?"}target=${encodeTarget(member)}`;

/** Whether the server is a cluster, and its members' names. */
async function clusterMembers(client: IncusClient): Promise<string[] | undefined> {
  try {
    const res = await client.get<{ enabled?: boolean }>("/1.0/cluster", { project: null });
    if (!res.value.enabled) return undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const members = await client.list<{ server_name: string }>("/1.0/cluster/members", { project: null });
  return members.map((m) => m.server_name);
}

/**
 * Checks a program's memberConfig against the server (preview of a new object, and before writes): a standalone server
 * takes none, and every member it names must exist. Returns the property at fault and why.
 */
export async function memberConfigProblem(ctx: Context, given: MemberConfig | undefined): Promise<{ property: string; reason: string } | undefined> {
  if (!given || isUnknown(given)) return undefined;
  const members = await clusterMembers(ctx.client);
  if (!members) {
    return {
      property: "memberConfig",
      reason: "this server is not a cluster; per-member config belongs in `config` on a standalone server (leave memberConfig out)",
    };
  }
  const stray = Object.keys(given).find((m) => !isUnknown(m) && !members.includes(m));
  if (stray === undefined) return undefined;
  const property = `memberConfig[${JSON.stringify(stray)}]`;
  return { property, reason: `no cluster member "${stray}" (the members are ${members.map((m) => `"${m}"`).join(", ")})` };
}

/**
 * A create on a cluster: the pending POST per member (its memberConfig entry, or nothing: Incus's defaults), then the
 * global one. On a standalone server (no memberConfig), the global POST alone; a cluster found only by its answer
 * ("not pending on any node") gets the pending steps then.
 */
export async function createOnMembers(
  ctx: Context,
  collection: string,
  pending: Record<string, unknown>,
  body: Record<string, unknown>,
  given: MemberConfig | undefined,
): Promise<void> {
  const opts = { project: ctx.project ?? null };
  if (!given) {
    try {
      await ctx.client.post(collection, body, opts);
      return;
    } catch (err) {
      if (!/not pending on any (node|member)/i.test((err as Error).message)) throw err;
    }
  }
  const members = (await clusterMembers(ctx.client)) ?? [];
  for (const member of members) await ctx.client.post(targeted(collection, member), { ...pending, config: given?.[member] ?? {} }, opts);
  await ctx.client.post(collection, body, opts);
}

/** Each member's keys (of `keys`) as the server has them; members from the object's `locations`. */
async function readMembers(ctx: Context, path: string, live: Live, keys: readonly string[]): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const member of liveStrings(live.locations)) {
    const res = await ctx.client.get<Live>(targeted(path, member), { project: ctx.project ?? null });
    const config = liveMap(res.value.config);
    out[member] = Object.fromEntries(Object.entries(config).filter(([k]) => keys.includes(k)));
  }
  return out;
}

/** Where the members' keys differ from the program's: per member, the keys to write (or a line only, for a member with no entry). */
function memberDiffs(given: MemberConfig, have: Record<string, Record<string, string>>) {
  const lines: string[] = [];
  const writes: Record<string, Record<string, string>> = {};
  for (const [member, keys] of Object.entries(have)) {
    const want = given[member];
    if (!want) {
      // A member that joined after the program was written: the program says nothing of its keys yet.
      lines.push(`memberConfig[${JSON.stringify(member)}]: member has ${shown(keys)}, the program has no entry for it`);
      continue;
    }
    for (const [k, v] of Object.entries(want)) {
      if (keys[k] === v) continue;
      lines.push(`memberConfig[${JSON.stringify(member)}][${JSON.stringify(k)}]: server has ${shown(keys[k])}, program wants ${shown(v)}`);
      writes[member] = { ...keys, ...want };
    }
  }
  for (const member of Object.keys(given).filter((m) => !(m in have)))
    lines.push(`memberConfig[${JSON.stringify(member)}]: the object is not on member "${member}"`);
  return { lines, writes };
}

/**
 * The `content` hooks of a kind with per-member config: the diff reads each member (`?target=`), the apply writes the
 * members that differ and then puts the global part back (see the top of this file).
 */
export function perMemberContent<I extends { memberConfig?: MemberConfig }>(path: (inputs: I) => string, keys: readonly string[]) {
  return {
    async diff(ctx: Context, news: I, _olds: I, live: Live): Promise<string[]> {
      if (!news.memberConfig) return [];
      return memberDiffs(news.memberConfig, await readMembers(ctx, path(news), live, keys)).lines;
    },
    async apply(ctx: Context, inputs: I, live: Live, olds?: I): Promise<Live> {
      // At create each member got its entry in its pending step.
      if (!inputs.memberConfig || !olds) return live;
      const { writes } = memberDiffs(inputs.memberConfig, await readMembers(ctx, path(inputs), live, keys));
      if (!Object.keys(writes).length) return live;
      const opts = { project: ctx.project ?? null };
      for (const [member, config] of Object.entries(writes)) await ctx.client.put(targeted(path(inputs), member), { config }, opts);
      // The global part as it was just before (what the engine's PUT made it).
      await ctx.client.update<Live>(path(inputs), () => ({ description: live.description, config: live.config }), opts);
      return (await ctx.client.get<Live>(path(inputs), opts)).value;
    },
  };
}
