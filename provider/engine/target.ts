// Cluster members: `target` (a member, or `@group` where Incus's scheduler picks one of the group's members). Two uses:
// an object that lives on one member (a custom volume, a bucket) has `target` in its identity, and every request
// about it carries `?target=`; an instance is placed (and moved) by its kind. What is generic is here: the input's
// rules, the check that the server is a cluster that has that member or group (at preview, before anything is sent),
// whether a location satisfies a target, and naming a member that does not answer when a request about it fails.
import { z } from "zod";
import { IncusClient, isNotFound } from "../client";
import type { Context, KindSpec, Live } from "./kind";
import { serverOf } from "./server";

const memberName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, "a cluster member's name (letters, digits, '.' and '-')");

/** A cluster member's name: where a per-member object (volume, bucket) lives. */
export const memberTarget = memberName;

/** A member's name, or `@<group>`: any member of that cluster group. */
export const placementTarget = z.union([memberName, z.string().regex(/^@[A-Za-z0-9][A-Za-z0-9._-]*$/, "`@` and a cluster group's name")]);

/** Kinds whose objects live on one member: `target` is part of their identity. */
export const perMember = (spec: KindSpec<any>) => spec.clusterTarget === "member";

/**
 * The member a per-member object lives on: the program's `target`, else where it was found (`location`, an output),
 * so an object created without a target is still read, written and deleted on its own member.
 */
export function memberOf(state: Record<string, unknown>): string | undefined {
  if (typeof state.target === "string" && state.target && !state.target.startsWith("@")) return state.target;
  return typeof state.location === "string" && state.location && state.location !== "none" ? state.location : undefined;
}

/** A target change of a per-member object: compared with where the object is, so naming its own member is no change. */
export function targetChanged(news: Record<string, unknown>, olds: Record<string, unknown>): boolean {
  return typeof news.target === "string" && news.target !== memberOf(olds);
}

interface Member {
  server_name: string;
  url: string;
  status: string;
  message?: string;
}

/** What one run learnt about each endpoint's cluster: it does not change while a run lasts. */
const clusters = new Map<IncusClient, Promise<{ clustered: boolean; members: Member[] }>>();
const groups = new Map<string, Promise<string[] | undefined>>();

function clusterOf(client: IncusClient) {
  let found = clusters.get(client);
  if (!found) {
    found = (async () => {
      const server = await client.server();
      const clustered = (server.environment as { server_clustered?: boolean } | undefined)?.server_clustered === true;
      return { clustered, members: clustered ? await client.list<Member>("/1.0/cluster/members", { project: null }) : [] };
    })();
    found.catch(() => clusters.delete(client));
    clusters.set(client, found);
  }
  return found;
}

/** The members of a cluster group; undefined when there is no such group. */
function groupMembers(client: IncusClient, group: string): Promise<string[] | undefined> {
  const key = `${JSON.stringify(client.endpoint)}\0${group}`;
  let found = groups.get(key);
  if (!found) {
    found = client.get<{ members?: string[] }>(`/1.0/cluster/groups/${encodeURIComponent(group)}`, { project: null }).then(
      (res) => res.value.members ?? [],
      (err) => {
        groups.delete(key);
        if (isNotFound(err)) return undefined;
        throw err;
      },
    );
    groups.set(key, found);
  }
  return found;
}

/**
 * Why `target` cannot be used with this server (said at check, before anything is sent): the server is not a
 * cluster, or has no such member or group. undefined when it can.
 */
export async function targetProblem(client: IncusClient, target: string): Promise<string | undefined> {
  const { clustered, members } = await clusterOf(client);
  if (!clustered) return `the Incus server is not clustered, so there is no member to place the object on; leave \`target\` out`;
  if (target.startsWith("@")) {
    const group = target.slice(1);
    return (await groupMembers(client, group)) ? undefined : `the cluster has no group "${group}"`;
  }
  const names = members.map((m) => m.server_name);
  return names.includes(target) ? undefined : `the cluster has no member "${target}" (its members: ${names.join(", ")})`;
}

/** Whether an object at `location` is where `target` wants it: no target is anywhere, `@group` any of its members. */
export async function satisfies(client: IncusClient, target: string | undefined, location: string): Promise<boolean> {
  if (!target) return true;
  if (!target.startsWith("@")) return target === location;
  return (await groupMembers(client, target.slice(1)))?.includes(location) ?? false;
}

/**
 * `location` for a child of a per-member object (a volume's snapshot, a bucket's key), whose own object does not say
 * where it is: the member the requests named (`target`, or the `location` recorded), else asked of the parent at
 * `parentPath` on a cluster, else `none` (no request).
 */
export async function withParentLocation(ctx: Context, live: Live, parentPath: string | undefined): Promise<Live> {
  if (typeof live.location === "string" && live.location) return live;
  if (ctx.target) return { ...live, location: ctx.target };
  if (!parentPath || !(await serverOf(ctx.client)).clustered) return { ...live, location: "none" };
  const parent = await ctx.client.get<Live>(parentPath, { project: ctx.project ?? null });
  return { ...live, location: locationOf(parent.value) };
}

/** Where an instance or volume is, as its live object says. */
export const locationOf = (live: Live) => (typeof live.location === "string" ? live.location : "");

/**
 * For a request about an object on member `member` (or one whose error names a member's address) that failed: which
 * member does not answer, and how it stands, e.g. `cluster member "m2" (https://10.0.0.3:8443) does not answer: …`.
 * Incus's own words for it do not say ("Server isn't ready yet", "Missing event connection with target cluster
 * member"). undefined when every member concerned answers, or the server is no cluster.
 */
export async function memberTrouble(ctx: Context, member: string | undefined, text: string): Promise<string | undefined> {
  const client = ctx.client;
  let members: Member[];
  try {
    members = await client.list<Member>("/1.0/cluster/members", { project: null });
  } catch {
    return undefined;
  }
  const concerned = members.filter((m) => m.server_name === member || text.includes(new URL(m.url).host));
  for (const m of concerned) {
    if (m.status !== "Online") return `cluster member "${m.server_name}" (${m.url}) is ${m.status.toLowerCase()}: ${m.message ?? ""}`.trim();
    // The database still says online for a while after a member stops: ask the member itself, briefly.
    if (client.endpoint.kind !== "https") continue;
    const direct = new IncusClient({ ...client.endpoint, url: m.url, remote: undefined }, { reconnectTimeoutMs: 0, requestTimeoutMs: 3000 });
    const answer = await direct.server().then(
      () => undefined,
      (err: Error) => err.message.replace(/^GET \/1\.0: cannot reach Incus at [^:]+:\/\/[^:]+:\d+: /, ""),
    );
    if (answer) return `cluster member "${m.server_name}" (${m.url}) does not answer: ${answer}`;
  }
  return undefined;
}

/**
 * Adds the member note to the error of a failed step on an object of a cluster (one with a member, or an error that
 * speaks of one); objects of a standalone server (location `none`) cost no request.
 */
export async function withMemberNote(ctx: Context, member: string | undefined, err: unknown): Promise<unknown> {
  if (!(err instanceof Error) || (!member && !/cluster member|Unable to connect to/.test(err.message))) return err;
  const note = await memberTrouble(ctx, member, err.message).catch(() => undefined);
  if (!note || err.message.includes(note)) return err;
  err.message = `${err.message} (${note})`;
  if (err.stack) err.stack = err.message;
  return err;
}
