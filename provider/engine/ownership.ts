// Whose object is it? The owner mark (OWNER_MARKER) that a create writes into the object names the stack instance and
// the resource (its URN), plus a claim: a random token of the create that made (or took over) the object, which the
// resource also keeps in its state. The engine uses them for two rules:
// - take over an existing object only when it carries this very resource's owner (a create of it was interrupted before
//   Pulumi recorded it), never one another resource of the stack holds (a duplicate name, a resource moved without
//   `aliases`), nor the old half of this resource's own replacement while that is in progress;
// - delete an object only while it still carries the claim the resource recorded: once a newer create of the same
//   resource took it over (a replacement Pulumi runs create-first), the old half's delete leaves it alone.
import { createHash, randomBytes } from "node:crypto";
import { IncusError, type IncusClient } from "../client";
import type { Live } from "./kind";
import { serverOf, sharedReads } from "./readcache";

/** Output key (stored in state, never an input) of the claim token this resource wrote into its object. */
export const CLAIM_KEY = "__claim";

/** The mark's value: `<owner> #<claim>`; marks written before claims existed are the owner alone. */
export function markValue(owner: string, claim: string): string {
  return `${owner} #${claim}`;
}

export function newClaim(): string {
  return randomBytes(6).toString("hex");
}

export interface Mark {
  owner: string;
  claim?: string;
}

export function parseMark(value: unknown): Mark | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const m = / #([0-9a-f]{12})$/.exec(value);
  return m ? { owner: value.slice(0, m.index), claim: m[1] } : { owner: value };
}

/**
 * The two parts of an owner: the stack instance (`org/project/stack/<stack id>`) and the resource (its URN, or in marks
 * written by earlier releases `<kind>::<logical name>`).
 */
export function ownerParts(owner: string): { stack: string; resource: string } {
  const at = owner.indexOf("::");
  return at < 0 ? { stack: owner, resource: "" } : { stack: owner.slice(0, at), resource: owner.slice(at + 2) };
}

/** How a message names the resource an owner names: its URN, or the kind and name of an older mark. */
export function resourceOf(owner: string): string {
  const { resource } = ownerParts(owner);
  return resource.startsWith("urn:") ? resource : resource.replace("::", " ");
}

// ---- kinds with no map of their own to carry the mark (aliases, snapshots, certificates, bucket keys, plain copies) --
//
// Their mark is kept in the server's config instead, under `user.pulumi-incus.mark.<hash of where the object lives>`,
// for as long as the object exists: written just before the create request (a run killed at any later point, even with
// its provider plugin still finishing the create, leaves it), removed by the resource's delete, or put back as it was
// when the create made nothing. The same takeover and delete rules then hold as for marked objects. A single-key
// `PATCH /1.0` merges into the server's config (verified on 6.0.4: other keys stay, "" unsets), so parallel creates
// never race on the config's ETag. A client that may not write the server's config (a restricted certificate) keeps
// no such record, as before.

const RECORD_PREFIX = "user.pulumi-incus.mark.";

const hash = (value: unknown, length: number) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);

/**
 * The server config key that holds the mark of the object at a place (project, API path and, for an object that lives
 * on one cluster member, that member; not the endpoint): `user.pulumi-incus.mark.<project hash>.<place hash>`, so a
 * project's records can be found without its objects. The server config is shared by all members, so two members'
 * objects of the same path (a volume name on two members) each need their own key.
 */
export function recordKey(project: string | undefined, path: string, member?: string): string {
  const place = member ? [project ?? "", path, member] : [project ?? "", path];
  return `${RECORD_PREFIX}${hash(project ?? "", 8)}.${hash(place, 16)}`;
}

/** Removes the records of every object of a project (its contents were deleted with it). */
export async function dropProjectRecords(client: IncusClient, project: string): Promise<void> {
  const prefix = `${RECORD_PREFIX}${hash(project, 8)}.`;
  const config = (await client.get<{ config?: Record<string, string> }>("/1.0", { project: null })).value.config ?? {};
  const keys = Object.keys(config).filter((k) => k.startsWith(prefix));
  if (!keys.length) return;
  try {
    await client.request("PATCH", "/1.0", { project: null, body: { config: Object.fromEntries(keys.map((k) => [k, ""])) } });
  } catch (err) {
    if (!(err instanceof IncusError && err.isForbidden)) throw err;
  }
}

export function isRecordKey(key: string): boolean {
  return key.startsWith(RECORD_PREFIX);
}

/**
 * The value recorded at a key ("" when none); undefined when the server's config cannot be read. Creates and deletes
 * under way at once share one read of the server's config (readcache.ts `SharedReads`: never one sent before the call).
 */
export async function readRecord(client: IncusClient, key: string): Promise<string | undefined> {
  try {
    const server = await sharedReads.read(
      JSON.stringify([serverOf(client), "/1.0"]),
      "/1.0",
      async () => (await client.get<Live>("/1.0", { project: null })).value,
      async () => [], // never: every call of this key reads the same object
    );
    return ((server?.config ?? {}) as Record<string, string>)[key] ?? "";
  } catch {
    return undefined;
  }
}

/**
 * The process's writes of records, one after another: Incus merges a PATCH of the server's config into the config it
 * read when the request came, so two at once can each drop the other's key (five snapshot deletes clearing their
 * records together on a cluster left one behind). Records are written by a few kinds only, and each PATCH is quick.
 */
let recordWrites: Promise<unknown> = Promise.resolve();

/** Records a mark (or clears the record with ""). A refusal (no right to the server's config) is no error. */
export function writeRecord(client: IncusClient, key: string, value: string): Promise<void> {
  const write = recordWrites.then(async () => {
    try {
      await client.request("PATCH", "/1.0", { project: null, body: { config: { [key]: value } } });
    } catch (err) {
      if (!(err instanceof IncusError && err.isForbidden)) throw err;
    }
  });
  recordWrites = write.catch(() => undefined);
  return write;
}
