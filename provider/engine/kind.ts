// What a kind declares. The engine (engine.ts) does check, diff, create, read, update and delete for every kind
// from this declaration; a kind adds code only where Incus itself behaves differently (hooks).
import type { z } from "zod";
import type { IncusClient } from "../client";
import type { ConfigEntity, Requirement, ServerInfo } from "./server";

/** How one input field maps to the Incus object and what a change to it means. */
export interface FieldSpec {
  /** The API's name for the field when it differs from the input name (`contentType` → `content_type`). */
  api?: string;
  /**
   * update: changed in place by the PUT; replace: a change re-creates the object (Incus cannot change it);
   * create: sent when the object is created and never compared afterwards (e.g. where an instance came from).
   */
  mode: "update" | "replace" | "create";
  /**
   * For string maps (config): keys that always belong to the server unless the program sets them (volatile.*, a
   * project's features.*, a pool's source). They never show as changes, every PUT carries the live value over, and
   * the program dropping one never removes it. Keys the server fills in at create are learnt on top of these.
   */
  serverKeys?: (key: string) => boolean;
  /**
   * For string maps others write too (the server's config): only keys the program names, or named last time (a key
   * it dropped is unset), are compared and written; any other key, whenever it appeared, is left as it is.
   */
  onlyDeclared?: boolean;
  /**
   * For string maps others share (the server's config): the value a key the program drops goes back to (what it had
   * before the stack took it over, from the stored state `olds`); a key it does not list, or lists as null, is unset.
   */
  restoreDropped?: (olds: Record<string, unknown>) => Record<string, string | null> | undefined;
  /**
   * For string maps: keys whose values are credentials (the server's `loki.auth.password`). They are secret in state,
   * outputs, lookups, preview lines and messages even when the program gives them as plain text.
   */
  secretKeys?: string[];
  /** For string maps whose PUT keeps a key it leaves out (the server's `user.*` keys): the value that unsets one (""). */
  unsetAs?: string;
  /** What the server reports when the field was never set ("" for description, {} for maps). */
  empty?: unknown;
  /** Brings a live value into the form the program uses before comparing (e.g. normalised rule lists). */
  fromLive?: (live: unknown) => unknown;
}

/** Inputs every kind shares after check. */
export interface CommonInputs {
  name: string;
  project?: string;
  remote?: string;
  socket?: string;
  configDir?: string;
  /** Take over an object that already exists instead of failing on "already exists". */
  adopt?: boolean;
}

/** What a hook gets: the client for the resource's endpoint and the project the object lives in. */
export interface Context {
  client: IncusClient;
  /** undefined for global kinds (projects, storage pools). */
  project?: string;
  /** The kind's type name, for messages. */
  type: string;
  /** The cluster member an object that lives on one member is on (`?target=` on every request about it). */
  target?: string;
  /** Replaces the values of the program's secret inputs in a text (messages, command output) by "[secret]". */
  redact(text: string): string;
  /** In a create: the creating resource's owner (stack and URN), when the stack marks its objects. */
  owner?: string;
  /** Whether a resource of the stack records the object at this API path, as far as this run has seen (ownership.ts). */
  isRecorded?(path: string): boolean;
}

export type Live = Record<string, unknown>;

export interface KindSpec<I extends CommonInputs = CommonInputs, O extends Record<string, unknown> = Record<string, unknown>> {
  // ---- the core: every kind says these ------------------------------------------------------------------------
  /** The Pulumi type name (`pulumi-nodejs:dynamic/incus:<type>`) and the word used in messages. */
  type: string;
  /** Validates and normalises the inputs, common fields included. */
  schema: z.ZodType<I, any>;
  /** Objects that live in a project (`?project=`), or global ones. */
  scoped: boolean;
  /** The API path of one object, from its identity fields (name and parents such as the pool). */
  path(inputs: I): string;
  /** The fields the program manages on the object. */
  fields: Partial<Record<keyof I & string, FieldSpec>>;
  /** Incus can rename the object in place (POST {name}). */
  renamable: boolean;
  /** API extensions the kind needs (`["storage_buckets"]`): on a server without one, check fails (server.ts). */
  requires?: string[];
  /** API extensions fields need, by field path (`{ "waitFor.ready": "instance_ready_state" }`): checked when set. */
  fieldRequires?: Record<string, Requirement>;
  /**
   * Map fields of config keys and which keys they take (`{ config: "instance" }`): a key the server lacks (by the
   * extension that brings it, generated/configKeys.ts) is refused at check, naming field, key, server and extension.
   */
  configKeys?: Record<string, ConfigEntity>;
  /** What check refuses on this server beyond extensions (a config key the other server names differently). */
  onServer?(server: ServerInfo, inputs: I): { property: string; reason: string } | undefined;
  /** Values read from the live object that users want as outputs (status, fingerprint, …). */
  outputs?(live: Live, inputs: I): O;
  /** Output names that `outputs` sets, declared so the SDK class exposes them. */
  outputKeys?: (keyof O & string)[];
  /** Input fields that identify the object besides name and project (e.g. a volume's pool): a change replaces. */
  identity?: (keyof I & string)[];
  /**
   * The project feature (`features.profiles`, …) under which this kind lives in its own project. When it is off,
   * Incus silently serves the `default` project's objects instead: the engine refuses that unless the program
   * names `default` itself.
   */
  feature?: string;
  /**
   * `GET <parent of path>?recursion=1` returns these objects exactly as a GET of one does, each with its `name`:
   * reads that need no ETag (diff, refresh) may then be answered by one list for many objects (engine/readcache.ts).
   */
  listable?: boolean;
  /**
   * For objects a collection keys by something other than their name (a forward by its listen address): the input
   * field and the API field a listed object carries it in. Default: `name`.
   */
  listKey?: { input: keyof I & string; api: string };
  /**
   * Its `target` input is a cluster member (engine/target.ts): `member`, the member the object lives on (also listed
   * in `identity`; every request about it carries `?target=`); `placement`, a member or `@group` the kind places it on.
   */
  clusterTarget?: "member" | "placement";
  /** The name is only a label in Pulumi (images are identified by fingerprint): a change of it touches nothing. */
  nameIsLabel?: boolean;
  /** How messages name the object when its name does not say it (a forward: `10.0.0.5 on network "br0"`). */
  title?(inputs: I): string;
  /** Where a POST creates one (defaults to the parent of `path`). */
  collection?(inputs: I): string;
  /** Body of the create POST (defaults to name plus every set field in API form). */
  createBody?(inputs: I): Record<string, unknown>;
  /** Output keys whose values are kept secret in state (additionalSecretOutputs). */
  secretOutputs?: string[];
  /**
   * Of `secretOutputs`: those kept secret because they may hold parts of secrets (command output, digests of secret
   * contents), not secrets in themselves: messages do not hide their values (an exit code, a size) as secrets.
   */
  derivedSecretOutputs?: string[];
  /**
   * Outputs that record what this stack did to the object (an instance's pushed files, commands run), not what the
   * server has: lookups do not report them.
   */
  stackOutputs?: string[];

  // ---- hooks, for kinds whose life cycle is more than POST/PUT/DELETE ---------------------------------------------
  /** Creates the object. Default: POST createBody to the collection. Returns identity learnt on the way (an image's fingerprint). */
  create?(ctx: Context, inputs: I): Promise<Record<string, unknown> | void>;
  /** Deletes the object. Default: DELETE path. */
  delete?(ctx: Context, inputs: I, live: Live): Promise<void>;
  /**
   * Objects Incus itself owns and will not delete (a project's `default` profile, the `default` project): the
   * fields a new one has. Destroy puts these back instead of deleting.
   */
  resetOnDelete?(inputs: I, ctx: Context): Record<string, unknown> | undefined;
  /**
   * Runs before a write that changes `changed` fields (or the name); returns the step to run after it (e.g. stop,
   * then start again). `before` names the object as it is now, `after` as it will be (they differ for a rename).
   */
  aroundUpdate?(ctx: Context, before: I, after: I, live: Live, changed: string[]): Promise<(() => Promise<void>) | undefined>;
  /**
   * Checks against the server that must pass before anything is written (e.g. an alias another image holds). Runs
   * in diff (so the preview fails), before create and before update; `olds` is undefined for a new object.
   */
  verify?(ctx: Context, inputs: I, olds?: Partial<I>): Promise<void>;
  /**
   * For an object the stack does not have yet (and does not adopt): a conflict with what the server holds, said at
   * check so the preview fails (an alias another image holds). Returns the field at fault and why; Incus unreachable
   * is for `up` to report. Fields still unknown in a preview (another resource's output) hold Pulumi's unknown
   * value: the kind skips those.
   */
  conflictAtCheck?(ctx: Context, inputs: I): Promise<{ property: string; reason: string } | undefined>;
  /**
   * Adds to a live object what the outputs need and the object's own GET does not bring (an instance's addresses,
   * from its state). Called only for reads that produce outputs (create, update, refresh), never for diff. `identity`: the fields naming
   * the object (its parents), for objects whose live form does not carry them (a load balancer's network).
   */
  details?(ctx: Context, live: Live, identity: Partial<I>): Promise<Live>;

  // ---- groups of hooks that only a kind or two need -------------------------------------------------------------
  /** State the fields cannot carry (an instance's running state, an image's aliases): how it differs, how to apply it. */
  beyondFields?: {
    /** Names of what differs (a non-empty list is a change). */
    diff(inputs: I, live: Live, olds?: Partial<I>): string[];
    /** Applies what `diff` reported, after create and after the PUT of an update. */
    apply(ctx: Context, inputs: I, live: Live, olds?: Partial<I>): Promise<void>;
  };
  /** What lives inside the object (an instance's files, waits and commands). */
  content?: {
    /**
     * Differences its GET does not show, which may need more reads (files) or the stored state `olds` (commands
     * already run); one line each. A non-empty list is a change.
     */
    diff(ctx: Context, news: I, olds: I, live: Live): Promise<string[]>;
    /**
     * Runs after create and after every update, once the object matches the program's fields; `olds` is the stored
     * state (undefined at create). Returns the live object it last read. A failure after a create keeps the object
     * in state with the reason.
     */
    apply(ctx: Context, inputs: I, live: Live, olds?: I): Promise<Live>;
  };
  /** Lookups beyond the identity fields (`getXxx`, `getXxxs`). */
  lookup?: {
    /** Program fields that `fields` does not list but a lookup reports (an image's aliases): how each reads from live. */
    fields?: Partial<Record<keyof I & string, (live: Live) => unknown>>;
    /**
     * Other ways `getXxx` may name the object (an image by an alias): argument name → its schema (with
     * `.describe()`, for the SDK's docs) and how it finds the identity fields (undefined: no such object).
     */
    by?: Record<string, { schema: z.ZodType; resolve(ctx: Context, value: any): Promise<Partial<I> | undefined> }>;
    /**
     * A list lookup (`getXxxs`, e.g. images by property, instances by status): its filter arguments (each with
     * `.describe()`) and whether a listed live object matches them. `recursion` is the list's depth (2 brings an
     * instance's state along).
     */
    list?: { filters: z.ZodObject<any>; matches(live: Live, filters: any): boolean; recursion?: number };
  };
  /** How the PUT of an update differs from the default one. */
  put?: {
    /** Body fields that are not managed fields but must be echoed from live (e.g. a pool's source). */
    extras?: string[];
    /**
     * The server's PUT ignores If-Match (network forwards, buckets in 6.0): every update reads the object again
     * just before its PUT and starts over when it changed since the read the body was built from.
     */
    ignoresIfMatch?: boolean;
  };
  /** Where the owner mark goes (ownership.ts). */
  mark?: {
    /** The string-map field that carries it (default: `config` when the kind has one; "" for none). */
    field?: string;
    /**
     * True when this create must carry no mark: Incus would take a marker-only map as the program's and drop what it
     * copies from a source otherwise (a volume copy whose program sets no config).
     */
    skip?(inputs: I): boolean;
  };

  // ---- what the declaration feeds besides the engine: SDK, plugin schema, README table, unit tests ----------------
  /** The SDK class's summary and a doc per output (field docs are on the schema). Every registered kind has them. */
  docs?: KindDocs;
  /** A small valid use of the kind. Every registered kind has one. */
  example?: KindExample;
}

/** Docs of a kind's SDK class and its outputs; field docs come from the schema's `.describe()`. */
export interface KindDocs {
  summary: string;
  outputs: Record<string, string>;
  /** TypeScript types of outputs whose shape a sample value cannot tell (objects of objects). */
  outputTypes?: Record<string, string>;
  /** Text the README resources table appends to a column, for what the declaration cannot say (an Incus rule). */
  table?: { identity?: string; inPlace?: string; replaced?: string };
}

/**
 * A kind's example. `args` are valid inputs that need no other resource, or name the parents they need by a
 * placeholder (pool `default`, network `br0`; an image's `file` is a path the caller provides): the unit tests'
 * valid row and the lifecycle table's base row. `program` is a short TypeScript program text (`incus` is the
 * package): the class doc's Example Usage.
 */
export interface KindExample {
  args: Record<string, unknown>;
  program: string;
}

/**
 * Thrown by content.apply when the object already has the program's fields and only a step inside it failed (a
 * command exited non-zero): the engine then records the new inputs and the outputs (the failed step's result
 * included) with the error, where a failed update otherwise keeps the state of the last successful one.
 */
export class ContentStepFailed extends Error {}

/** Declares a kind with its input and output types inferred from the schema and the outputs function. */
export function defineKind<I extends CommonInputs, O extends Record<string, unknown> = Record<string, never>>(spec: KindSpec<I, O>): KindSpec<I, O> {
  return spec;
}

/** Typed readers for live values (the API sends JSON; outputs promise types). */
export const liveString = (v: unknown): string => (typeof v === "string" ? v : "");
export const liveStrings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
export const liveMap = (v: unknown): Record<string, string> => (v && typeof v === "object" ? (v as Record<string, string>) : {});
