// The one generic engine behind every kind: check, diff against the live object, create, read, update (ETag-guarded
// full PUT with bounded 412 retry) and delete, all driven by a KindSpec.
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { IncusError, isAlreadyExists, isNotFound, outcomeUnknown } from "../client";
import { checkEndpoint, clientFor, defaultProject, providerSettings } from "./connection";
import { rethrowForUser, UserError } from "./errors";
import { containsUnknown, dropUnset, fieldName, isUnknown, OWNER_KEY, OWNER_MARKER, schemaShape, shown, UNKNOWN, unknownPaths } from "./inputs";
import { type CommonInputs, ContentStepFailed, type Context, type FieldSpec, type KindSpec, type Live } from "./kind";
import { closestField, fieldsAt } from "./hints";
import { CLAIM_KEY, type Mark, markValue, newClaim, ownerParts, parseMark, readRecord, recordKey, resourceOf, writeRecord } from "./ownership";
import { readCache } from "./readcache";
import { isSecretPath, redactDeep, redactor, SECRETS_KEY, type SecretPath, secretPaths } from "./secrets";

export interface CheckFailure {
  property: string;
  reason: string;
}
export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}
type State = Record<string, unknown>;
/** Property path (`config["limits.cpu"]`) → how it differs between the program and the live object. */
export type DetailedDiff = Record<string, { kind: "add" | "delete" | "update"; replace: boolean }>;

const PROVIDER_KEY = "__provider";
/**
 * Stored with the outputs: config keys the server filled in when it created the object, by field, each with the
 * value the program sent for it (null: none; "auto" for an address Incus picked). Such a key is the server's until
 * the program names it (with another value).
 */
const LEARNT_KEY = "__serverFilled";
type Learnt = Record<string, Record<string, string | null>>;
/** Inputs that are not the program's fields: they identify the object or say how to reach it. */
const CONNECTION_KEYS = ["name", "project", "remote", "socket", "configDir"];

/**
 * Output flag of an object whose create Incus may or may not have carried out (the answer was lost): the next diff
 * does not trust such an object and makes it again (Incus keeps half-made instances after a crash).
 */
const UNCONFIRMED_KEY = "__createUnconfirmed";
/** Output flag of an object read by `Kind.get(name, id)` (a YAML `get:`): a refresh reads it by its id again. */
const LOOKUP_KEY = "__readById";
/** What a read hands back to Pulumi, whose Struct cannot carry undefined values. */
const defined = (o: State): State => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function withoutProvider(o: State): State {
  const { [PROVIDER_KEY]: _provider, [OWNER_KEY]: _owner, [UNCONFIRMED_KEY]: _unconfirmed, ...rest } = o ?? {};
  return rest;
}

/** An error that leaves the object in state: it exists on the server although a later step failed. */
class PartialFailure extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: State,
  ) {
    super(message);
  }
  get reasons(): string[] {
    return [this.message];
  }
}

/** A map key that breaks its rule: zod says only "Invalid key in record"; the key schema's own message says why. */
function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_key" && issue.issues[0] ? issue.issues[0].message : issue.message;
}

/** What the program wants of one object, field by field, worked out from its inputs and what it declared last time. */
interface Wanted {
  /** Field → desired value: as declared, or the field's "unset" value when the program stopped declaring it. */
  values: State;
  /** Map fields: what the program declared last time (a key it dropped goes). */
  previous: Record<string, State>;
  /** Map fields: keys the server filled in at create that are still the server's. */
  learnt: Learnt;
  secrets: SecretPath[];
  /** Map fields: keys the program dropped that go back to their earlier value (restoreDropped). */
  restored: Record<string, string[]>;
}

const isPlainObject = (v: unknown): v is State => !!v && typeof v === "object" && !Array.isArray(v);

export class KindEngine<I extends CommonInputs> {
  /** The map field that carries the owner marker (config, or an image's properties), when the kind has one. */
  private readonly ownerField?: string;

  constructor(readonly spec: KindSpec<I>) {
    const field = spec.ownerField ?? ("config" in spec.fields ? "config" : undefined);
    const fs = field ? (spec.fields as Record<string, FieldSpec>)[field] : undefined;
    if (field && fs) {
      // The marker is the provider's, never the program's: no diff shows it and every PUT keeps it.
      const serverKeys = fs.serverKeys;
      (spec.fields as Record<string, FieldSpec>)[field] = { ...fs, serverKeys: (k) => k === OWNER_MARKER || (serverKeys?.(k) ?? false) };
      this.ownerField = field;
    }
  }

  private api(field: string): string {
    return this.spec.fields[field as keyof I & string]?.api ?? field;
  }

  private entries(): [string, FieldSpec][] {
    return Object.entries(this.spec.fields) as [string, FieldSpec][];
  }

  /** Fields that are maps (config, devices, properties): compared and written key by key. */
  private isMap(fs: FieldSpec): boolean {
    return isPlainObject(fs.empty);
  }

  /** A live field as the program would write it. */
  private liveValue(field: string, fs: FieldSpec, live: Live): unknown {
    const raw = live[this.api(field)];
    const v = fs.fromLive ? fs.fromLive(raw) : raw;
    return v === undefined || v === null ? fs.empty : v;
  }

  /**
   * The desired state. A field the program declares is its own; one it declared before (in the stored inputs) and
   * no longer does goes back to Incus's "unset"; one it never declared is left alone.
   */
  want(news: State, olds?: State): Wanted {
    const values: State = {};
    const previous: Record<string, State> = {};
    const restored: Record<string, string[]> = {};
    for (const [field, fs] of this.entries()) {
      if (fs.mode === "create") continue;
      if (news[field] !== undefined) values[field] = news[field];
      else if (olds?.[field] !== undefined && olds[field] !== null && fs.empty !== undefined) values[field] = fs.empty;
      if (this.isMap(fs) && isPlainObject(olds?.[field])) previous[field] = olds![field] as State;
      // A dropped key of a map shared with others goes back to what it was before the stack took it over.
      const earlier = olds && previous[field] && isPlainObject(values[field]) ? fs.restoreDropped?.(olds) : undefined;
      const back = earlier ? Object.keys(previous[field] ?? {}).filter((k) => !(k in (values[field] as State)) && typeof earlier[k] === "string") : [];
      if (back.length) {
        values[field] = { ...(values[field] as State), ...Object.fromEntries(back.map((k) => [k, earlier![k]])) };
        restored[field] = back;
      }
    }
    return {
      values,
      previous,
      learnt: this.keptLearnt((news[LEARNT_KEY] ?? olds?.[LEARNT_KEY]) as Learnt | undefined, values),
      secrets: secretPaths(this.withKindSecrets(news)),
      restored,
    };
  }

  /**
   * The state with the kind's own secret fields (a bucket key's secret key) and credential keys of its maps (the
   * server's `loki.auth.password`) added to the paths the program marked secret.
   */
  private withKindSecrets(state: State): State {
    const derived = new Set(this.spec.derivedSecretOutputs ?? []);
    const own: SecretPath[] = (this.spec.secretOutputs ?? []).filter((k) => state?.[k] !== undefined && !derived.has(k)).map((k) => [k]);
    for (const [field, fs] of this.entries()) for (const key of fs.secretKeys ?? []) own.push([field, key]);
    return own.length ? { ...state, [SECRETS_KEY]: [...secretPaths(state), ...own] } : state;
  }

  /** Paths of the credential keys (FieldSpec.secretKeys) that hold a value in a found object (a lookup's result). */
  secretKeysIn(found: State): SecretPath[] {
    return this.entries().flatMap(([field, fs]) =>
      (fs.secretKeys ?? []).filter((k) => isPlainObject(found[field]) && typeof (found[field] as State)[k] === "string").map((k) => [field, k]),
    );
  }

  /** Learnt keys minus those the program now names with a value of its own (from then on they are the program's). */
  private keptLearnt(learnt: Learnt | undefined, values: State): Learnt {
    const out: Learnt = {};
    for (const [field, keys] of Object.entries(learnt ?? {})) {
      const desired = isPlainObject(values[field]) ? (values[field] as State) : {};
      out[field] = Object.fromEntries(Object.entries(keys).filter(([k, sent]) => !(k in desired) || (sent !== null && desired[k] === sent)));
    }
    return out;
  }

  /** Whether a key of a map field is the server's business: never compared, carried over from live by every PUT. */
  private serverOwns(field: string, fs: FieldSpec, key: string, w: Wanted): boolean {
    const desired = (w.values[field] ?? {}) as State;
    const learnt = w.learnt[field] ?? {};
    // Learnt at create: the server's while the program leaves it out, or still sends what it sent then ("auto").
    if (key in learnt) return key in desired || !(key in (w.previous[field] ?? {}));
    // A map the program shares with others (the server's config): a key it neither names nor named last time is theirs.
    if (fs.onlyDeclared && !(key in desired) && !(key in (w.previous[field] ?? {}))) return true;
    return !!fs.serverKeys?.(key) && !(key in desired);
  }

  /** Keys of a map field whose live value differs from the program's (a missing desired key means "absent"). */
  private mapDiffs(field: string, fs: FieldSpec, w: Wanted, live: Live): string[] {
    const desired = w.values[field] as State;
    const have = (this.liveValue(field, fs, live) ?? {}) as State;
    const keys = new Set([...Object.keys(desired), ...Object.keys(have), ...Object.keys(w.previous[field] ?? {})]);
    return [...keys].filter((k) => !this.serverOwns(field, fs, k, w) && !isDeepStrictEqual(desired[k], have[k]));
  }

  private fieldDiffers(field: string, fs: FieldSpec, w: Wanted, live: Live): boolean {
    const desired = w.values[field];
    if (containsUnknown(desired)) return true;
    if (this.isMap(fs) && isPlainObject(desired)) return this.mapDiffs(field, fs, w, live).length > 0;
    return !isDeepStrictEqual(desired, this.liveValue(field, fs, live));
  }

  /** Fields whose desired value differs from the live object, by mode. */
  changedFields(news: State, live: Live, olds?: State): { update: string[]; replace: string[] } {
    return this.changed(this.want(news, olds), live);
  }

  private changed(w: Wanted, live: Live): { update: string[]; replace: string[] } {
    const out = { update: [] as string[], replace: [] as string[] };
    for (const [field, fs] of this.entries()) {
      if (w.values[field] === undefined || fs.mode === "create") continue;
      if (this.fieldDiffers(field, fs, w, live)) out[fs.mode === "replace" ? "replace" : "update"].push(field);
    }
    return out;
  }

  /** One line per difference, in the program's terms, for the preview (dynamic providers get no detailed diff). */
  describeChanges(news: State, live: Live, fields: string[], olds?: State): string[] {
    return this.describeWanted(this.want(news, olds), live, fields);
  }

  private describeWanted(w: Wanted, live: Live, fields: string[]): string[] {
    const lines: string[] = [];
    const line = (path: SecretPath, label: string, have: unknown, want: unknown) => {
      const back = w.restored[path[0]]?.includes(String(path[1]));
      lines.push(
        isSecretPath(w.secrets, path)
          ? `${label}: the server's value differs from the program's (secret, not shown)${back ? "; dropped from the program, it goes back to its earlier value" : ""}`
          : back
            ? `${label}: dropped from the program; goes back to its earlier value ${shown(want)} (server has ${shown(have)})`
            : `${label}: server has ${shown(have)}, program wants ${shown(want)}`,
      );
    };
    for (const field of fields) {
      const fs = this.spec.fields[field as keyof I & string]!;
      const desired = w.values[field];
      // Key by key, also when some values are known only after apply (those keys say so).
      if (this.isMap(fs) && isPlainObject(desired)) {
        const have = (this.liveValue(field, fs, live) ?? {}) as State;
        for (const key of this.mapDiffs(field, fs, w, live)) line([field, key], `${field}[${JSON.stringify(key)}]`, have[key], desired[key]);
      } else {
        line([field], field, this.liveValue(field, fs, live), desired);
      }
    }
    return lines;
  }

  /** The full PUT body: live writable fields, with the program's fields laid over them. */
  putBody(news: State, live: Live, olds?: State): State {
    return this.body(this.want(news, olds), live);
  }

  private body(w: Wanted, live: Live): State {
    const body: State = {};
    for (const key of this.spec.putExtras ?? []) if (live[key] !== undefined) body[key] = live[key];
    for (const [field, fs] of this.entries()) {
      if (fs.mode !== "update") continue;
      const api = this.api(field);
      const desired = w.values[field];
      if (desired === undefined) {
        if (live[api] !== undefined) body[api] = live[api];
      } else if (this.isMap(fs) && isPlainObject(desired)) {
        const have = (isPlainObject(live[api]) ? live[api] : {}) as State;
        const kept = Object.entries(have).filter(([k]) => this.serverOwns(field, fs, k, w));
        const own = Object.entries(desired).filter(([k]) => !this.serverOwns(field, fs, k, w));
        // Where a key left out of the PUT is kept, the program's dropped keys are sent as "unset" explicitly.
        const cleared = fs.unsetAs === undefined ? [] : Object.keys(have).filter((k) => !(k in desired) && !this.serverOwns(field, fs, k, w)).map((k) => [k, fs.unsetAs]);
        body[api] = { ...Object.fromEntries(kept), ...Object.fromEntries(cleared), ...Object.fromEntries(own) };
      } else {
        body[api] = desired;
      }
    }
    return body;
  }

  /**
   * Map keys that were on the object before the program took it over: those the server added when it created it
   * (or gave a value other than the one sent, such as an address for "auto"), or, for an adopted object, those it
   * had already that the program does not name. They stay the server's until the program names them.
   */
  private learn(news: State, live: Live, adopted = false): Learnt {
    const learnt: Learnt = {};
    const secrets = secretPaths(this.withKindSecrets(news));
    for (const [field, fs] of this.entries()) {
      if (!this.isMap(fs) || fs.mode !== "update") continue;
      const sent = (isPlainObject(news[field]) ? news[field] : {}) as State;
      const have = (this.liveValue(field, fs, live) ?? {}) as State;
      const keys: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(have)) {
        if (fs.serverKeys?.(k)) continue;
        // A secret value is never stored: a server-normalised secret shows as a change instead.
        if (!(k in sent)) keys[k] = null;
        // Only a plain value the server answered with another one ("auto" → an address); a device (an object) the
        // server changed is compared like any other.
        else if (!adopted && typeof sent[k] !== "object" && sent[k] !== v && !isSecretPath(secrets, [field, k])) keys[k] = String(sent[k]);
      }
      if (Object.keys(keys).length) learnt[field] = keys;
    }
    return learnt;
  }

  private createBody(inputs: I): State {
    if (this.spec.createBody) return this.spec.createBody(inputs);
    const body: State = { name: inputs.name };
    for (const [field, fs] of this.entries()) {
      const v = (inputs as State)[field];
      if (v !== undefined && fs.mode !== "create") body[this.api(field)] = v;
    }
    return body;
  }

  /** The client and project for an object; messages hide the secret values of every state given. */
  private context(state: State, ...secretsOf: State[]): Context {
    const client = clientFor(state);
    return {
      client,
      project: this.spec.scoped ? ((state.project as string | undefined) ?? defaultProject(client)) : undefined,
      type: this.spec.type,
      redact: redactor(...[state, ...secretsOf].map((s) => this.withKindSecrets(s))),
    };
  }

  private reqOpts(ctx: Context) {
    return { project: this.spec.scoped ? (ctx.project ?? null) : null };
  }

  /** Options of a guarded write: where If-Match is ignored, the client compares before it writes. */
  private writeOpts(ctx: Context) {
    return { ...this.reqOpts(ctx), compareBeforeWrite: this.spec.putIgnoresIfMatch === true };
  }

  private idOf(state: State, ctx: Context): string {
    const path = this.spec.path(state as I);
    return this.spec.scoped && ctx.project && ctx.project !== "default" ? `${path}?project=${encodeURIComponent(ctx.project)}` : path;
  }

  /** `Profile "web" in project "lab"`; during a rename, `Profile "web" (renaming to "www") in project "lab"`. */
  private describe(state: State, ctx: Context, renamingFrom?: unknown): string {
    const where = this.spec.scoped ? ` in project "${ctx.project ?? "default"}"` : "";
    const name =
      renamingFrom !== undefined && renamingFrom !== state.name
        ? `"${renamingFrom}" (renaming to "${state.name}")`
        : this.spec.title
          ? this.titleOf(state)
          : `"${state.name}"`;
    return `${this.spec.type} ${name}${where}`;
  }

  private titleOf(state: State): string {
    try {
      return this.spec.title!(state as I);
    } catch {
      return `"${state.name}"`;
    }
  }

  private message(err: unknown): string {
    return err instanceof IncusError ? err.message : err instanceof Error ? err.message : String(err);
  }

  /** Fails naming the object; the message says what to fix, no stack frames of the provider (engine/errors.ts). */
  private fail(state: State, ctx: Context, err: unknown, renamingFrom?: unknown): never {
    throw new UserError(ctx.redact(`${this.describe(state, ctx, renamingFrom)}: ${this.message(err)}`));
  }

  /** Lines the engine shows under the resource: the only way a dynamic provider can say what differs. */
  private report(state: State, ctx: Context, lines: string[], prefix = ""): void {
    for (const line of lines) console.log(ctx.redact(`${this.describe(state, ctx)}: ${prefix}${line}`));
  }

  /**
   * During a refresh the Pulumi engine calls read and then diff on the same object straight away. The object read
   * by `read` is handed to that diff once, if it is at most this old, instead of being fetched a second time.
   */
  private static readonly HANDOVER_MS = 2000;

  /**
   * Where the objects live that resources of the stack record, as far as this run has seen (each one diffed). A
   * create at such a place must not take the object there over even when it carries the creating resource's own
   * mark: it is the old half of that resource's replacement, deleted only after the create.
   */
  private readonly recorded = new Set<string>();
  private readonly handover = new Map<string, { found: { live: Live; etag?: string } | null; at: number }>();

  private handoverKey(ctx: Context, state: State): string {
    return this.place(ctx, state);
  }

  /** Where an object lives: the server, the project and its API path. */
  private place(ctx: Context, state: State): string {
    return this.placeOf(ctx, this.spec.path(state as I));
  }

  private placeOf(ctx: Context, path: string): string {
    return JSON.stringify([ctx.client.endpoint.kind === "unix" ? ctx.client.endpoint.socketPath : ctx.client.endpoint.url, ctx.project, path]);
  }

  private takeHandover(ctx: Context, state: State): { live: Live; etag?: string } | null | undefined {
    const key = this.handoverKey(ctx, state);
    const entry = this.handover.get(key);
    this.handover.delete(key);
    return entry && Date.now() - entry.at <= KindEngine.HANDOVER_MS ? entry.found : undefined;
  }

  /** null when the object is gone. */
  async readLive(ctx: Context, state: State): Promise<{ live: Live; etag?: string } | null> {
    try {
      const res = await ctx.client.get<Live>(this.spec.path(state as I), this.reqOpts(ctx));
      return { live: res.value, etag: res.etag };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * The live object for a read that needs no ETag (diff, refresh): for listable kinds, possibly from one list that
   * answers many reads (engine/readcache.ts says when that is as fresh as a GET). null when the object is gone.
   */
  private async readForDiff(ctx: Context, state: State): Promise<{ live: Live; etag?: string } | null> {
    if (!this.spec.listable) return this.readLive(ctx, state);
    const path = this.spec.path(state as I);
    const collection = path.replace(/\/[^/]+$/, "");
    const endpoint = ctx.client.endpoint.kind === "unix" ? ctx.client.endpoint.socketPath : ctx.client.endpoint.url;
    const key = JSON.stringify([endpoint, ctx.project, collection]);
    const listKey = this.spec.listKey ?? { input: "name", api: "name" };
    const live = await readCache.read(
      key,
      String(state[listKey.input]),
      async () => (await this.readLive(ctx, state))?.live ?? null,
      () => ctx.client.list<Live>(collection, this.reqOpts(ctx)),
      listKey.api,
    );
    return live ? { live } : null;
  }

  /** What the outputs need beyond the object itself (the kind's details hook, e.g. an instance's addresses). */
  private async withDetails(ctx: Context, live: Live): Promise<Live> {
    return this.spec.details ? this.spec.details(ctx, live) : live;
  }

  // ---- objects Incus serves from another project --------------------------------------------------------------

  private redirectMessage(state: State, ctx: Context, what: string): string {
    const feature = this.spec.feature!;
    return (
      `project "${ctx.project}" has ${feature} turned off, so Incus ${what} the "default" project's ${this.spec.type.toLowerCase()} "${state.name}". ` +
      `Set \`project: "default"\` to manage it there, or turn ${feature} on in project "${ctx.project}"`
    );
  }

  /** The live object belongs to the default project although the program named another one (a feature is off). */
  private guardLive(state: State, ctx: Context, live: Live): void {
    if (!this.spec.feature || !ctx.project || ctx.project === "default") return;
    // A zone's own GET answers `project: ""` (6.0): only a named project tells where the object lives.
    if (typeof live.project === "string" && live.project !== "" && live.project !== ctx.project) this.fail(state, ctx, this.redirectMessage(state, ctx, "answers with"));
  }

  /** Whether the program's project serves this kind from the default project (its feature is off). null: no such project yet. */
  private async featureOff(ctx: Context): Promise<boolean | null> {
    if (!this.spec.feature || !ctx.project || ctx.project === "default") return false;
    try {
      const res = await ctx.client.get<Live>(`/1.0/projects/${encodeURIComponent(ctx.project)}`, { project: null });
      return (res.value.config as State | undefined)?.[this.spec.feature] !== "true";
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** Outputs: the checked inputs plus the kind's values read from the live object (status, fingerprint, …). */
  private outputs(inputs: State, live: Live, ctx: Context): State {
    const outs: State = withoutProvider(inputs);
    if (this.spec.scoped) outs.project = ctx.project;
    for (const key of this.spec.outputKeys ?? []) outs[key] = null;
    // Derived outputs are not inputs, so Pulumi cannot know they carry secret values: hide those values. Outputs the
    // kind declares secret keep theirs: Pulumi stores them encrypted (additionalSecretOutputs).
    const secret = new Set(this.spec.secretOutputs ?? []);
    for (const [key, value] of Object.entries(this.spec.outputs?.(live, inputs as I) ?? {})) outs[key] = secret.has(key) ? value : redactDeep(value, ctx.redact);
    return outs;
  }

  private knownFields(): string[] {
    return Object.keys(schemaShape(this.spec.schema));
  }

  /** Inputs that only steer the provider (adopt, deleteContents, stopTimeout, where an image comes from, …). */
  private settingKeys(): string[] {
    const skip = new Set([...CONNECTION_KEYS, ...(this.spec.identity ?? []), ...Object.keys(this.spec.fields), ...(this.spec.outputKeys ?? [])]);
    return [...this.knownFields().filter((k) => !skip.has(k)), SECRETS_KEY];
  }

  // ---- the ResourceProvider methods -------------------------------------------------------------------------

  // check, diff, read, delete and the lookups fail with the message only (engine/errors.ts says why).
  async check(olds: State, news: State): Promise<{ inputs?: State; failures?: CheckFailure[] }> {
    return this.checkInputs(olds, news).catch(rethrowForUser);
  }

  private async checkInputs(olds: State, news: State): Promise<{ inputs?: State; failures?: CheckFailure[] }> {
    const { [SECRETS_KEY]: secrets, ...raw } = dropUnset(withoutProvider(news));
    const unknown = unknownPaths(raw).map((p) => p.join("\u0000"));
    const underUnknown = (path: PropertyKey[]) => {
      const key = path.map(String).join("\u0000");
      return unknown.some((u) => key === u || key.startsWith(u + "\u0000"));
    };
    const parsed = this.spec.schema.safeParse(raw, {
      // A missing field is "required", also where the field takes one of several forms (a port: string or number).
      error: (issue) => ((issue.code === "invalid_type" || issue.code === "invalid_union") && issue.input === undefined ? "required" : undefined),
    });
    let inputs: State;
    if (!parsed.success) {
      const meant = new Set<string>();
      const failures = parsed.error.issues
        .filter((i) => !underUnknown(i.path))
        .flatMap((i): CheckFailure[] => {
          if (i.code !== "unrecognized_keys") return [{ property: fieldName(i.path), reason: `${fieldName(i.path)}: ${issueMessage(i)}` }];
          // A misspelt field must not be silently ignored: name it, and the field that was probably meant (at its depth).
          return i.keys.map((key) => {
            const field = fieldName([...i.path, key]);
            const hint = closestField(key, fieldsAt(this.spec.schema, i.path));
            if (hint) meant.add(fieldName([...i.path, hint]));
            return { property: field, reason: `${field}: ${this.spec.type} has no such field${hint ? ` (did you mean \`${hint}\`?)` : ""}` };
          });
        })
        // `listenPort` given for `listen_port`: one mistake, said once (by the hint), not also as "required".
        .filter((f) => !(meant.has(f.property) && f.reason === `${f.property}: required`));
      if (failures.length) return { failures };
      // Values still unknown in a preview are checked again when they are known; the known fields are
      // normalised one by one, so the preview compares what will really be sent.
      inputs = this.normaliseKnownFields(raw);
    } else {
      inputs = parsed.data as State;
    }
    if (secrets !== undefined) inputs[SECRETS_KEY] = secrets;
    const failure = this.withDefaultProject(inputs);
    if (failure) return { failures: [failure] };
    // The owner is not a field of the kind; it rides along in the inputs so create sees it. In the first preview it
    // is unknown (the stack's id is made by the same up): left out then, it is known again before any create.
    const owner = [news?.[OWNER_KEY], olds?.[OWNER_KEY]].find((o) => typeof o === "string" && !isUnknown(o));
    if (owner !== undefined) inputs[OWNER_KEY] = owner;
    // A new object: what Incus would really do with it is said now, in the preview, not at `up`.
    if (olds?.name === undefined && !containsUnknown([inputs.name, inputs.project, inputs.remote, inputs.socket, inputs.configDir])) {
      const problem = await this.previewNew(inputs).catch(() => undefined); // an unreachable Incus is for `up` to report
      if (problem) return { failures: [problem] };
    }
    return { inputs };
  }

  private normaliseKnownFields(raw: State): State {
    const shape = schemaShape(this.spec.schema);
    const out: State = { ...raw };
    for (const [key, value] of Object.entries(raw)) {
      if (isUnknown(value) || !shape[key]) continue;
      const field = shape[key].safeParse(value);
      if (field.success) out[key] = field.data;
    }
    return out;
  }

  private withDefaultProject(inputs: State): CheckFailure | undefined {
    if (!containsUnknown([inputs.remote, inputs.socket, inputs.configDir])) {
      try {
        // Resolving the endpoint reads files only (no request), so every kind, global ones included, learns here
        // that its remote does not exist, not in the middle of an update; certificates must be PEM that parses.
        const client = clientFor(inputs);
        checkEndpoint(client.endpoint);
        if (this.spec.scoped && inputs.project === undefined) inputs.project = defaultProject(client);
      } catch (err) {
        // An unknown remote or an unreadable CLI config: a problem with the connection settings, said at preview.
        const property = inputs.socket !== undefined ? "socket" : "remote";
        return { property, reason: `${property}: ${(err as Error).message}` };
      }
    }
    return undefined;
  }

  /**
   * For an object the stack does not have yet: refuse one that Incus would put in (or take from) the default project,
   * and for `adopt`, show what adopting will change on the existing object.
   */
  private async previewNew(inputs: State): Promise<CheckFailure | undefined> {
    const ctx = this.context(inputs);
    if (await this.featureOff(ctx)) return { property: "project", reason: `project: ${this.redirectMessage(inputs, ctx, "would use")}` };
    // Run even when some other field is unknown (a profile made by the same up): the kind skips what it cannot know.
    if (!inputs.adopt && this.spec.conflictAtCheck) {
      const conflict = await this.spec.conflictAtCheck(ctx, inputs as I);
      if (conflict) return { property: conflict.property, reason: ctx.redact(`${conflict.property}: ${conflict.reason}`) };
    }
    // Values known only after apply are said so; the object must be known to be looked at.
    if (!inputs.adopt || !this.addressable(inputs) || this.spec.path(inputs as I).includes(UNKNOWN)) return undefined;
    const found = await this.readLiveIfAddressable(ctx, inputs);
    if (!found) return undefined;
    const w = this.want({ ...inputs, [LEARNT_KEY]: this.learn(inputs, found.live, true) });
    const changed = this.changed(w, found.live);
    const lines = [...this.describeWanted(w, found.live, [...changed.replace, ...changed.update]), ...(this.spec.extraDiff?.(inputs as I, found.live) ?? [])];
    this.report(inputs, ctx, lines.length ? lines : ["matches the program; nothing to change"], "exists and will be adopted: ");
    return undefined;
  }

  async diff(id: string, oldsRaw: State, newsRaw: State): Promise<DiffResult> {
    const { result } = await this.diffDetailed(id, oldsRaw, newsRaw).catch(rethrowForUser);
    // A dynamic provider's update needs no delete-first flag: the TypeScript classes ask for it on every replacement
    // Pulumi decides by itself (replaceOnChanges); the plugin's callers get it from diffDetailed.
    return result.replaces?.length ? result : { changes: result.changes };
  }

  /**
   * The diff and, where every difference is a field (or a key of a map field), what differs property by property:
   * a resource provider plugin hands that to the engine as its detailed diff (a dynamic provider cannot).
   */
  async diffDetailed(_id: string, oldsRaw: State, newsRaw: State): Promise<{ result: DiffResult; detailed?: DetailedDiff }> {
    const unconfirmed = oldsRaw?.[UNCONFIRMED_KEY] === true;
    let news = withoutProvider(newsRaw);
    const olds = withoutProvider(oldsRaw);
    const replaces = new Set<string>();
    const identity = ["project", "remote", ...(this.spec.identity ?? [])];
    for (const key of identity) {
      if (news[key] !== undefined && !isDeepStrictEqual(news[key], olds[key])) replaces.add(key);
    }
    const renamed = news.name !== olds.name && !this.spec.nameIsLabel;
    if (renamed && (!this.spec.renamable || isUnknown(news.name))) replaces.add("name");
    // Wherever the new object would live where the old one does, a replacement must delete first: the engine also
    // uses this for replacements it decides itself (replaceOnChanges).
    const samePlace = !renamed && replaces.size === 0;
    if (replaces.size) {
      const detailed: DetailedDiff = Object.fromEntries([...replaces].map((k) => [k, { kind: "update", replace: true }]));
      return { result: { changes: true, replaces: [...replaces], deleteBeforeReplace: !renamed }, detailed };
    }
    // A changed setting is saved by an update that sends nothing to Incus, so it applies next time (destroy, stop).
    const settingsChanged = this.settingKeys().some((k) => !isDeepStrictEqual(news[k], olds[k]));

    const ctx = this.context(olds, news);
    const handed = this.takeHandover(ctx, olds);
    const found = handed !== undefined ? handed : await this.readForDiff(ctx, olds);
    // Identity learnt at create (an image's fingerprint) stays in the outputs, not in the program.
    news = { ...this.carriedIdentity(olds), ...news };
    if (!found) {
      // Deleted behind our back: re-create it under the same name.
      return { result: { changes: true, replaces: ["name"], deleteBeforeReplace: true } };
    }
    if (unconfirmed) {
      // Made by a create whose end nobody saw (the daemon or the connection died): Incus may have kept it half-made.
      this.report(olds, ctx, ["its create was interrupted; it is made again"]);
      return { result: { changes: true, replaces: ["name"], deleteBeforeReplace: true } };
    }
    this.guardLive(olds, ctx, found.live);
    // A resource of the stack records this object: no create of this run may take it over (see ownership.ts).
    this.recorded.add(this.place(ctx, olds));
    try {
      await this.spec.verify?.(ctx, news as I, olds as Partial<I>);
    } catch (err) {
      this.fail(news, ctx, err);
    }
    const w = this.want(news, olds);
    const changed = this.changed(w, found.live);
    const extra = [
      ...(this.spec.extraDiff?.(news as I, found.live, olds as Partial<I>) ?? []),
      ...((await this.spec.contentDiff?.(ctx, news as I, olds as I, found.live)) ?? []),
    ];
    this.report(olds, ctx, [...this.describeWanted(w, found.live, [...changed.replace, ...changed.update]), ...extra]);
    // Differences only the kind's hooks see (files, commands, running state) have no property of their own to name.
    const settings = this.settingKeys().filter((k) => !k.startsWith("__") && !isDeepStrictEqual(news[k], olds[k]));
    const detailed = extra.length ? undefined : this.detail(w, found.live, changed, renamed, settings);
    if (changed.replace.length) return { result: { changes: true, replaces: changed.replace, deleteBeforeReplace: !renamed }, detailed };
    const changes = renamed || changed.update.length > 0 || extra.length > 0 || settingsChanged;
    return { result: changes && samePlace ? { changes, deleteBeforeReplace: true } : { changes }, detailed };
  }

  /** Per property: map fields key by key (`config["limits.cpu"]`), other fields whole. */
  private detail(w: Wanted, live: Live, changed: { update: string[]; replace: string[] }, renamed: boolean, settings: string[]): DetailedDiff {
    const out: DetailedDiff = {};
    for (const field of [...changed.replace, ...changed.update]) {
      const fs = this.spec.fields[field as keyof I & string]!;
      const replace = changed.replace.includes(field);
      const desired = w.values[field];
      if (this.isMap(fs) && isPlainObject(desired) && !containsUnknown(desired)) {
        const have = (this.liveValue(field, fs, live) ?? {}) as State;
        for (const key of this.mapDiffs(field, fs, w, live)) {
          const kind = have[key] === undefined ? "add" : desired[key] === undefined ? "delete" : "update";
          out[`${field}[${JSON.stringify(key)}]`] = { kind, replace };
        }
      } else out[field] = { kind: "update", replace };
    }
    if (renamed) out.name = { kind: "update", replace: false };
    for (const key of settings) out[key] = { kind: "update", replace: false };
    return out;
  }

  async create(inputsRaw: State): Promise<{ id: string; outs: State }> {
    return readCache.writing(() => this.createObject(inputsRaw));
  }

  private async createObject(inputsRaw: State): Promise<{ id: string; outs: State }> {
    // Partial state must let the dynamic provider run later (refresh, update, destroy): it carries __provider.
    const providerCode = inputsRaw[PROVIDER_KEY];
    // The owner mark (on unless incus:markOwner is "false") is one more key on every object the stack makes. It is
    // sent in the create request and stays, so whenever a run dies (before or after Pulumi recorded the object) the
    // next run knows the object as this resource's own; it costs no request.
    const given = inputsRaw[OWNER_KEY];
    const owner = providerSettings().markOwner !== "false" && typeof given === "string" && !isUnknown(given) ? given : undefined;
    const inputs = withoutProvider(inputsRaw) as I & State;
    const ctx: Context = { ...this.context(inputs), owner, isRecorded: (path) => this.recorded.has(this.placeOf(ctx, path)) };
    // Adopting looks first, so an object that is already there gets no create request (an image no upload).
    const existing = inputs.adopt ? await this.readLiveIfAddressable(ctx, inputs) : null;
    if (existing) this.guardLive(inputs, ctx, existing.live);
    else if (await this.featureOff(ctx).catch((err) => this.fail(inputs, ctx, err))) this.fail(inputs, ctx, this.redirectMessage(inputs, ctx, "would use"));
    try {
      await this.spec.verify?.(ctx, inputs);
    } catch (err) {
      this.fail(inputs, ctx, err);
    }
    // The claim of this create (ownership.ts): in the mark it writes, and in the resource's state.
    const claim = newClaim();
    // A kind with no map of its own for the mark keeps it in the server's config, written before the create request
    // (ownership.ts); what was recorded there before is what an earlier create of the object left.
    const record = owner && !existing && !this.marks(inputs) ? this.recordOf(ctx, inputs) : undefined;
    const before = record ? await readRecord(ctx.client, record) : undefined;
    if (record) await writeRecord(ctx.client, record, markValue(owner!, claim)).catch((err) => this.fail(inputs, ctx, err));
    try {
      return await this.makeOrTakeOver(ctx, inputs, existing, { owner, claim, recorded: before ? parseMark(before) : undefined, providerCode });
    } catch (err) {
      // Nothing of ours exists (a refused create): the record goes back to what it was. An object that exists is
      // recorded in the stack (a partial failure) and keeps its record.
      if (record && !(err instanceof PartialFailure)) await writeRecord(ctx.client, record, before ?? "").catch(() => undefined);
      throw err;
    }
  }

  /** Where the server's config keeps the mark of an object of a kind without a map for it; undefined for other kinds. */
  private recordOf(ctx: Context, state: State): string | undefined {
    return !this.marks(state as I & State) && this.addressable(state) ? recordKey(ctx.project, this.spec.path(state as I)) : undefined;
  }

  /** The create itself, after the checks: makes the object, or takes over (adopt, or this resource's own), then settles it. */
  private async makeOrTakeOver(
    ctx: Context,
    given: I & State,
    adopted: { live: Live; etag?: string } | null,
    run: { owner?: string; claim: string; recorded?: Mark; providerCode: unknown },
  ): Promise<{ id: string; outs: State }> {
    const { owner, claim } = run;
    let inputs = given;
    let existing = adopted;
    const partial = (message: string, id: string, props: State, unconfirmed = false) =>
      new PartialFailure(ctx.redact(message), id, { ...props, [PROVIDER_KEY]: run.providerCode, ...(unconfirmed ? { [UNCONFIRMED_KEY]: true } : {}) });
    const located = () => ({ ...inputs, ...claimed, ...(this.spec.scoped ? { project: ctx.project } : {}) }) as State;
    let own = false;
    let failedAfterAccepted: unknown;
    const claimed: State = owner && (this.marks(inputs) || this.addressable(inputs)) ? { [CLAIM_KEY]: claim } : {};
    if (!existing) {
      try {
        const marked = this.withOwnerMarker(inputs, owner, claim);
        if (this.spec.create) inputs = { ...inputs, ...((await this.spec.create(ctx, marked)) ?? {}) };
        else {
          const collection = this.spec.collection?.(inputs) ?? this.spec.path(inputs).replace(/\/[^/]+$/, "");
          await ctx.client.post(collection, this.createBody(marked), this.reqOpts(ctx));
        }
      } catch (err) {
        if (isAlreadyExists(err)) {
          if (!inputs.adopt) {
            // Made by an earlier run of this same stack that was killed before it could record it: take it over.
            existing = owner ? await this.ownObject(ctx, inputs, owner, claim, run.recorded) : null;
            if (!existing) this.fail(inputs, ctx, `it already exists; set \`adopt: true\` to manage the existing object, or choose another name`);
            own = true;
          }
        } else if (err instanceof IncusError && err.operation) {
          // Incus accepted the create and its operation failed part-way (an instance created, then its start
          // failed): whatever the operation left is ours, since a name already in use is refused before that.
          failedAfterAccepted = err;
        } else if (outcomeUnknown(err) && this.addressable(inputs)) {
          // Incus may have made it (it accepted the request, or the connection broke after sending): record it, so
          // the next run finds it (and makes it again, since a half-made object cannot be trusted) or finds nothing.
          throw partial(
            `${this.describe(inputs, ctx)}: the create may or may not have happened (${this.message(err)}); ` +
              "it is recorded in the stack and the next `pulumi up` checks and completes it",
            this.idOf(inputs, ctx),
            located(),
            true,
          );
        } else {
          this.fail(inputs, ctx, err);
        }
      }
    }
    // Nothing was left behind (Incus reverted the create): a plain failure. When that cannot be read (the daemon
    // went away), it is recorded below, so the next run finds out.
    // An object whose path is only known from a successful create (a published image) cannot be looked for.
    if (failedAfterAccepted && (!this.addressable(inputs) || (await this.readLive(ctx, inputs).then((found) => !!found, () => undefined)) === false)) {
      this.fail(inputs, ctx, failedAfterAccepted);
    }
    const id = this.idOf(inputs, ctx);
    let state = inputs;
    try {
      if (failedAfterAccepted) throw failedAfterAccepted;
      const current = existing ?? (await this.mustRead(ctx, inputs));
      // What the object had before the program took it over is learnt: the server's, or the user's from before adopt
      // (an object this stack made in an interrupted run is its own, not adopted).
      // An adopted object gets no claim: the stack did not make it, and its mark (if any) is someone else's.
      state = { ...inputs, ...(existing && !own ? {} : claimed), [LEARNT_KEY]: this.learn(inputs, current.live, !!existing && !own) } as unknown as I & State;
      const live = await this.converge(ctx, state, undefined, current);
      return { id, outs: this.outputs(state, await this.withDetails(ctx, live), ctx) };
    } catch (err) {
      // The object exists: keep it in state so nothing is leaked, and report what failed (with what was learnt and
      // what the kind did before the failure, e.g. an instance's commands that ran).
      const found = await this.readLive(ctx, inputs).catch(() => null);
      const live = found ? await this.withDetails(ctx, found.live).catch(() => found!.live) : undefined;
      const props = live ? this.outputs(state, live, ctx) : located();
      const what = own
        ? "was left by an interrupted run of this stack and could not be completed"
        : existing
          ? "was adopted but could not be brought to the program's state"
          : "was created but is not ready";
      // One left by an interrupted run may be half-made: the next run makes it again rather than trust it.
      throw partial(`${this.describe(inputs, ctx)} ${what}: ${this.message(err)}`, id, props, own);
    }
  }

  /** Whether a create of these inputs writes the owner mark. */
  private marks(inputs: I & State): boolean {
    return !!this.ownerField && !this.spec.unmarked?.(inputs);
  }

  /** The inputs with the owner marker added to the kind's marker map (sent only in the create request). */
  private withOwnerMarker(inputs: I & State, owner: string | undefined, claim: string): I & State {
    if (!owner || !this.marks(inputs)) return inputs;
    const map = (inputs[this.ownerField!] ?? {}) as State;
    return { ...inputs, [this.ownerField!]: { ...map, [OWNER_MARKER]: markValue(owner, claim) } };
  }

  private markOf(found: { live: Live } | null): ReturnType<typeof parseMark> {
    return this.ownerField ? parseMark(((found?.live[this.api(this.ownerField)] ?? {}) as State)[OWNER_MARKER]) : undefined;
  }

  /**
   * The existing object when it carries this resource's own mark (made by an interrupted run of this stack), after any
   * operation still running on it has ended and with this create's claim written into its mark; null when someone
   * else made it. Fails, naming the holder, when another resource of the stack holds it (ownership.ts).
   */
  private async ownObject(ctx: Context, inputs: I & State, owner: string, claim: string, recorded?: Mark): Promise<{ live: Live; etag?: string } | null> {
    // Objects without a mark of their own: what the server's config recorded for them (ownership.ts).
    const marked = this.marks(inputs);
    if (!marked && !recorded) return null;
    let found = await this.readLiveIfAddressable(ctx, inputs);
    const mark = marked ? this.markOf(found) : recorded;
    if (!found || !mark) return null;
    if (mark.owner !== owner) {
      const theirs = ownerParts(mark.owner);
      if (theirs.stack !== ownerParts(owner).stack || !theirs.resource) return null;
      this.fail(
        inputs,
        ctx,
        `it already exists and belongs to another resource of this stack, ${resourceOf(mark.owner)}: two resources cannot manage one object. ` +
          "Give one of them another `name`; if this resource was moved (a new parent or logical name), add `aliases` naming its old URN so Pulumi keeps it as the same resource",
      );
    }
    if (this.recorded.has(this.place(ctx, inputs))) {
      this.fail(
        inputs,
        ctx,
        "it already exists and this stack still records it as this resource's current object, which a replacement deletes only after its create. " +
          "A replacement that keeps the name must delete first: remove `deleteBeforeReplace: false` from the resource's options",
      );
    }
    this.report(inputs, ctx, ["carries this resource's own mark (made by an interrupted run of this stack, or the object of a replacement run create-first); taking it over"]);
    if (await this.waitForOperationsOn(ctx, this.spec.path(inputs))) found = await this.readLive(ctx, inputs);
    if (!marked) return found;
    if (!found || this.markOf(found)?.owner !== owner) return null;
    // From now on the object is this create's: an older resource of the stack that recorded it (the old half of a
    // replacement Pulumi ran create-first without asking our diff) no longer deletes it.
    await this.writeClaim(ctx, inputs, owner, claim);
    return this.readLive(ctx, inputs);
  }

  /** Writes this create's claim into the object's mark (ETag-guarded, every other value as it is). */
  private async writeClaim(ctx: Context, inputs: I & State, owner: string, claim: string): Promise<void> {
    const field = this.api(this.ownerField!);
    const w = this.want(inputs);
    await ctx.client.update<Live>(
      this.spec.path(inputs),
      (current) => {
        const body = this.body({ ...w, values: {} }, current);
        return { ...body, [field]: { ...((current[field] ?? {}) as State), [OWNER_MARKER]: markValue(owner, claim) } };
      },
      this.writeOpts(ctx),
    );
  }

  /** Waits for running operations that touch `path` (a create still unpacking); true when there were any. */
  private async waitForOperationsOn(ctx: Context, path: string): Promise<boolean> {
    const res = await ctx.client.get<{ running?: { id: string; resources?: Record<string, string[]> | null }[] }>("/1.0/operations", {
      ...this.reqOpts(ctx),
      query: { recursion: 1 },
    });
    const touching = (res.value.running ?? []).filter((op) =>
      Object.values(op.resources ?? {}).some((list) => list.some((r) => r.split("?")[0] === path)),
    );
    for (const op of touching) await ctx.client.waitOperation(op.id).catch(() => undefined);
    return touching.length > 0;
  }

  private addressable(state: State): boolean {
    try {
      this.spec.path(state as I);
      return true;
    } catch {
      return false;
    }
  }

  /** The live object, when its path can be known before it exists (not for an image copied from a server). */
  private async readLiveIfAddressable(ctx: Context, state: State): Promise<{ live: Live; etag?: string } | null> {
    try {
      this.spec.path(state as I);
    } catch {
      return null;
    }
    return this.readLive(ctx, state);
  }

  /** The claim a resource recorded, to carry into its next outputs. */
  private claimOf(state: State): State {
    return typeof state[CLAIM_KEY] === "string" ? { [CLAIM_KEY]: state[CLAIM_KEY] } : {};
  }

  /** Output-only identity that later calls need to find the object (declared by the kind as outputs). */
  private carriedIdentity(olds: State): State {
    return Object.fromEntries((this.spec.outputKeys ?? []).filter((k) => olds[k] !== undefined && olds[k] !== null).map((k) => [k, olds[k]]));
  }

  private async mustRead(ctx: Context, state: State): Promise<{ live: Live; etag?: string }> {
    const found = await this.readLive(ctx, state);
    if (!found) throw new IncusError(404, "the object disappeared", "GET", this.spec.path(state as I));
    return found;
  }

  /**
   * Brings the live object to the program's fields: a full PUT guarded by If-Match. On 412 someone else wrote
   * in between: read again and rebuild, so their change to anything the program does not manage is kept.
   */
  private async converge(ctx: Context, state: I & State, olds?: State, initial?: { live: Live; etag?: string }): Promise<Live> {
    let { live, etag } = initial ?? (await this.mustRead(ctx, state));
    const w = this.want(state, olds);
    const changed = this.changed(w, live).update;
    if (changed.length) {
      // Some changes need the object in another state first (a stopped instance); the kind says how.
      const after = { ...state, ...w.values } as I;
      const undo = await this.spec.aroundUpdate?.(ctx, state, after, live, changed);
      try {
        await ctx.client.update<Live>(
          this.spec.path(state),
          (current) => (this.changed(w, current).update.length ? this.body(w, current) : undefined),
          // After a state change the ETag has moved: then the first attempt reads again.
          { ...this.writeOpts(ctx), current: undo ? undefined : { value: live, etag } },
        );
      } finally {
        if (undo) await undo();
      }
      live = (await this.mustRead(ctx, state)).live;
    }
    if (this.spec.extraDiff?.(state, live, olds as Partial<I>).length && this.spec.applyExtra) {
      await this.spec.applyExtra(ctx, state, live, olds as Partial<I> | undefined);
      live = (await this.mustRead(ctx, state)).live;
    }
    if (this.spec.applyContent) live = await this.spec.applyContent(ctx, state, live, olds as I | undefined);
    return live;
  }

  async read(id: string, propsRaw: State): Promise<{ id?: string; props?: State; inputs?: State }> {
    return this.readObject(id, propsRaw).catch(rethrowForUser);
  }

  private async readObject(id: string, propsRaw: State): Promise<{ id?: string; props?: State; inputs?: State }> {
    const props = withoutProvider(propsRaw);
    // A lookup manages nothing: first read and refresh alike report what its id names.
    if (props.name === undefined || props[LOOKUP_KEY] === true) return this.readById(id, props, props[LOOKUP_KEY] === true);
    const ctx = this.context(props);
    const found = await this.readForDiff(ctx, props);
    this.handover.set(this.handoverKey(ctx, props), { found, at: Date.now() });
    if (!found) return {};
    const inputs = this.inputsFrom(props, found.live);
    // Outputs only the stack knows (a generated key, an instance's command results) are carried over, as diff does;
    // those read from the object are read again.
    const carried = { ...this.carriedIdentity(props), ...inputs, [LEARNT_KEY]: props[LEARNT_KEY], ...this.claimOf(props) };
    return { id, props: defined(this.outputs(carried, await this.withDetails(ctx, found.live), ctx)), inputs: defined(inputs) };
  }

  /** Stored inputs with the managed fields set to what the server has now (refresh repairs stored inputs). */
  private inputsFrom(props: State, live: Live): State {
    const outputOnly = new Set([...(this.spec.outputKeys ?? []), LEARNT_KEY, CLAIM_KEY]);
    const inputs: State = Object.fromEntries(Object.entries(props).filter(([k, v]) => !outputOnly.has(k) && v !== undefined && v !== null));
    const w = this.want(props, props);
    for (const [field, fs] of this.entries()) {
      if (inputs[field] === undefined || fs.mode === "create") continue;
      const have = this.liveValue(field, fs, live);
      inputs[field] = this.isMap(fs) && isPlainObject(have) ? Object.fromEntries(Object.entries(have).filter(([k]) => !this.serverOwns(field, fs, k, w))) : have;
    }
    return inputs;
  }

  /**
   * The kind's path as a pattern an id must match, and the identity fields it names (name, parents such as the
   * pool or instance, a forward's listen address): each field the path reads becomes a capture group. Lookups
   * (getXxx) take these fields as their arguments.
   */
  idPattern(): { pattern: RegExp; fields: string[]; example: string } {
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
    const template = this.spec.path(probe as unknown as I);
    const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const source = escaped.replace(/~~([A-Za-z]+)~~/g, "([^/?]+)");
    const example = template.replace(/~~([A-Za-z]+)~~/g, (_m, f: string) => `<${f}>`);
    return { pattern: new RegExp(`^${source}$`), fields, example };
  }

  /** `Kind.get(name, id)`: the id is the object's API path (with `?project=`). In a refresh, a 404 means gone. */
  private async readById(id: string, props: State, refreshing = false) {
    const [path, query] = id.split("?", 2);
    const { pattern, fields: idFields, example } = this.idPattern();
    const match = pattern.exec(path);
    if (!match) {
      throw new Error(`${this.spec.type}.get: id "${id}" is not the API path of a ${this.spec.type.toLowerCase()}; expected "${example}${this.spec.scoped ? "?project=<project>" : ""}"`);
    }
    // The identity the path carries (parents such as a volume's pool), as the inputs name it.
    const identity = Object.fromEntries(idFields.map((f, i) => [f, decodeURIComponent(match[i + 1])]));
    const project = new URLSearchParams(query ?? "").get("project") ?? "default";
    const ctx = this.context({ ...props, project });
    let live: Live;
    try {
      live = await this.withDetails(ctx, (await ctx.client.get<Live>(path, this.reqOpts(ctx))).value);
    } catch (err) {
      if (isNotFound(err) && refreshing) return {};
      if (isNotFound(err)) throw new Error(`${this.spec.type}.get: no ${this.spec.type.toLowerCase()} at "${id}" (Incus answered: ${this.message(err)})`);
      throw new Error(`${this.spec.type}.get("${id}"): ${this.message(err)}`);
    }
    return { id, props: defined({ ...this.asFound(ctx, live, identity), [LOOKUP_KEY]: true }) };
  }

  /**
   * A live object as `Kind.get` and the lookups report it: its identity, every field as the server has it (a lookup
   * manages nothing, so none is the program's) and the kind's outputs.
   */
  private asFound(ctx: Context, live: Live, identity: State): State {
    const visible = (f: string, fs: FieldSpec) => {
      const v = this.liveValue(f, fs, live);
      return this.isMap(fs) && isPlainObject(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => !fs.serverKeys?.(k))) : v;
    };
    const fields = Object.fromEntries(this.entries().filter(([, fs]) => fs.mode !== "create").map(([f, fs]) => [f, visible(f, fs)]));
    const extra = Object.entries(this.spec.lookupFields ?? {}) as [string, (live: Live) => unknown][];
    for (const [f, read] of extra) fields[f] = read(live);
    const name = this.spec.nameIsLabel ? {} : { name: live.name };
    return this.outputs({ ...name, ...identity, ...fields, ...(this.spec.scoped ? { project: ctx.project } : {}) }, live, ctx);
  }

  /** The fields a lookup names an object by: those its path reads (name, parents), without the connection. */
  lookupIdentity(): string[] {
    return this.idPattern().fields;
  }

  /** How a lookup names the object it looked for, e.g. `StorageVolume "data" (pool "default") in project "lab"`. */
  private lookupTitle(identity: State, ctx: Context): string {
    const parents = Object.entries(identity)
      .filter(([k]) => k !== "name")
      .map(([k, v]) => `${k} "${v}"`)
      .join(", ");
    const main = this.spec.title ? this.titleOf(identity) : identity.name !== undefined ? `"${identity.name}"` : "";
    const where = this.spec.scoped ? ` in project "${ctx.project ?? "default"}"` : "";
    const title = main ? `${main}${parents && !this.spec.title ? ` (${parents})` : ""}` : parents;
    return `${this.spec.type} ${title}${where}`;
  }

  /**
   * `getXxx(args)` in the program's process: the object the arguments name (its identity fields, or another way
   * the kind offers such as an image's alias) in the given or the stack's project, as `asFound` reports it. Fails
   * with a message naming the kind, the identity and the project when there is no such object.
   */
  async lookup(argsRaw: State): Promise<State> {
    return this.lookupObject(argsRaw).catch(rethrowForUser);
  }

  private async lookupObject(argsRaw: State): Promise<State> {
    const fn = `get${this.spec.type}`;
    const args = dropUnset(argsRaw);
    const fields = this.lookupIdentity();
    const alternatives = Object.keys(this.spec.lookupBy ?? {});
    const known = new Set([...fields, ...alternatives, "project", ...CONNECTION_KEYS]);
    const stray = Object.keys(args).filter((k) => !known.has(k));
    if (stray.length) throw new Error(`${fn}: no such argument ${stray.map((k) => `\`${k}\``).join(", ")} (it takes ${[...known].map((k) => `\`${k}\``).join(", ")})`);
    // Each argument as the kind's schema has it (identity fields), else a non-empty string (where to look).
    const shape = schemaShape(this.spec.schema);
    for (const [k, v] of Object.entries(args)) {
      const rule = fields.includes(k) ? shape[k] : undefined;
      const parsed = rule?.safeParse(v);
      if (parsed && !parsed.success) throw new Error(`${fn}: \`${k}\`: ${issueMessage(parsed.error.issues[0])} (${JSON.stringify(v)})`);
      if (!rule && (typeof v !== "string" || v === "")) throw new Error(`${fn}: \`${k}\` must be a non-empty string, not ${JSON.stringify(v)}`);
    }
    const ctx = this.context(args);
    if (this.spec.scoped && !ctx.project) ctx.project = "default";
    let identity: State = Object.fromEntries(fields.filter((f) => args[f] !== undefined).map((f) => [f, args[f]]));
    const by = alternatives.find((a) => args[a] !== undefined);
    if (by) {
      const found = await this.spec.lookupBy![by].resolve(ctx, args[by]).catch((err) => {
        throw new Error(`${fn}: ${this.message(err)}`);
      });
      const where = this.spec.scoped ? ` in project "${ctx.project}"` : "";
      if (!found) throw new Error(`${fn}: no ${this.spec.type.toLowerCase()} with ${by} "${args[by]}"${where}`);
      identity = { ...identity, ...found };
    }
    const missing = fields.filter((f) => identity[f] === undefined);
    if (missing.length) {
      const ways = [missing.map((f) => `\`${f}\``).join(" and "), ...alternatives.map((a) => `\`${a}\``)];
      throw new Error(`${fn}: give ${ways.join(" or ")}`);
    }
    let live: Live;
    try {
      live = await this.withDetails(ctx, (await ctx.client.get<Live>(this.spec.path(identity as I), this.reqOpts(ctx))).value);
    } catch (err) {
      if (isNotFound(err)) throw new Error(`${fn}: ${this.lookupTitle(identity, ctx)} does not exist (Incus answered: ${this.message(err)})`);
      throw new Error(`${fn}: ${this.lookupTitle(identity, ctx)}: ${this.message(err)}`);
    }
    // With the project's feature off (features.profiles, …) Incus answers with the default project's object: say so.
    if (this.spec.scoped && typeof live.project === "string" && live.project !== "" && live.project !== ctx.project) ctx.project = live.project;
    return this.withoutStackOutputs(this.asFound(ctx, live, identity));
  }

  private withoutStackOutputs(found: State): State {
    for (const key of this.spec.stackOutputs ?? []) delete found[key];
    return found;
  }

  /**
   * `getXxxs(args)`: every object of the kind in the project (one list request) that matches the kind's filters, each
   * as `lookup` reports it.
   */
  async lookupList(argsRaw: State): Promise<State[]> {
    return this.lookupObjects(argsRaw).catch(rethrowForUser);
  }

  private async lookupObjects(argsRaw: State): Promise<State[]> {
    const list = this.spec.listLookup;
    const fn = `get${this.spec.type}s`;
    if (!list) throw new Error(`${fn}: ${this.spec.type} has no list lookup`);
    const { project, remote, socket, configDir, ...rest } = dropUnset(argsRaw);
    const parsed = list.filters.safeParse(rest);
    if (!parsed.success) throw new Error(`${fn}: ${parsed.error.issues.map((i) => `${fieldName(i.path)}: ${issueMessage(i)}`).join("; ")}`);
    const ctx = this.context({ project, remote, socket, configDir });
    if (this.spec.scoped && !ctx.project) ctx.project = "default";
    const { fields, example } = this.idPattern();
    const collection = example.replace(/\/[^/]+$/, "");
    if (/<\w+>/.test(collection)) throw new Error(`${fn}: ${this.spec.type} lives under a parent; no list lookup`);
    let objects: Live[];
    try {
      objects = await ctx.client.list<Live>(collection, { ...this.reqOpts(ctx), recursion: list.recursion ?? 1 });
    } catch (err) {
      throw new Error(`${fn}${this.spec.scoped ? ` in project "${ctx.project}"` : ""}: ${this.message(err)}`);
    }
    const key = this.spec.listKey ?? { input: "name", api: "name" };
    const out: State[] = [];
    for (const live of objects.filter((o) => list.matches(o, parsed.data))) {
      const identity = Object.fromEntries(fields.map((f) => [f, live[f === key.input ? key.api : this.api(f)]]));
      out.push(this.withoutStackOutputs(this.asFound(ctx, await this.withDetails(ctx, live), identity)));
    }
    return out;
  }

  async update(id: string, oldsRaw: State, newsRaw: State): Promise<{ outs: State }> {
    return readCache.writing(() => this.updateObject(id, oldsRaw, newsRaw));
  }

  private async updateObject(id: string, oldsRaw: State, newsRaw: State): Promise<{ outs: State }> {
    const olds = withoutProvider(oldsRaw);
    const news = { ...this.carriedIdentity(olds), ...withoutProvider(newsRaw) } as I & State;
    const ctx = this.context(news, olds);
    // The server's keys stay the server's until the program names them.
    const state = { ...news, [LEARNT_KEY]: this.want(news, olds).learnt, ...this.claimOf(olds) } as unknown as I & State;
    try {
      await this.spec.verify?.(ctx, news, olds as Partial<I>);
      if (news.name !== olds.name && !this.spec.nameIsLabel) await this.rename(ctx, olds, news);
      const live = await this.converge(ctx, state, olds);
      return { outs: this.outputs(state, await this.withDetails(ctx, live), ctx) };
    } catch (err) {
      // Everything but a step inside the object (a command) was applied: the new inputs are true of it, and the
      // step's failed result is kept, so the next preview says it failed (not that it never ran).
      const found = err instanceof ContentStepFailed ? await this.readLive(ctx, news).catch(() => null) : null;
      if (found) {
        const live = await this.withDetails(ctx, found.live).catch(() => found.live);
        const props = { ...this.outputs(state, live, ctx), [PROVIDER_KEY]: newsRaw[PROVIDER_KEY] ?? oldsRaw[PROVIDER_KEY] };
        throw new PartialFailure(ctx.redact(`${this.describe(news, ctx)}: ${this.message(err)}`), id, props);
      }
      this.fail(news, ctx, err, this.spec.nameIsLabel ? undefined : olds.name);
    }
  }

  private async rename(ctx: Context, olds: State, news: State): Promise<void> {
    const from = this.spec.path(olds as I);
    const undo = this.spec.aroundUpdate ? await this.spec.aroundUpdate(ctx, olds as I, news as I, (await this.mustRead(ctx, olds)).live, ["name"]) : undefined;
    try {
      await ctx.client.post(from, { name: news.name }, this.reqOpts(ctx));
    } finally {
      if (undo) await undo();
    }
    // A mark kept in the server's config moves with the object.
    const record = typeof olds[CLAIM_KEY] === "string" ? this.recordOf(ctx, olds) : undefined;
    const value = record ? await readRecord(ctx.client, record) : undefined;
    if (record && value && parseMark(value)?.claim === olds[CLAIM_KEY]) {
      await writeRecord(ctx.client, this.recordOf(ctx, news)!, value);
      await writeRecord(ctx.client, record, "");
    }
  }

  /**
   * Whether the object still carries the claim this resource recorded (ownership.ts), in its mark or, for a kind
   * without a map for it, in the server's config; when a newer create of the stack took it over, says so and the
   * delete leaves it. Objects without a claim (adopted, made before claims) are ours.
   */
  private async stillOurs(ctx: Context, props: State, found: { live: Live } | null): Promise<boolean> {
    const mine = props[CLAIM_KEY];
    if (!found || typeof mine !== "string") return true;
    const record = this.recordOf(ctx, props);
    const claim = record ? parseMark(await readRecord(ctx.client, record))?.claim : this.markOf(found)?.claim;
    if (claim === undefined || claim === mine) return true;
    this.report(props, ctx, ["not deleted: a newer create of this stack took the object over (it is that resource's now)"]);
    return false;
  }

  async delete(_id: string, propsRaw: State): Promise<void> {
    return readCache.writing(() => this.deleteObject(propsRaw)).catch(rethrowForUser);
  }

  private async deleteObject(propsRaw: State): Promise<void> {
    const props = withoutProvider(propsRaw) as I & State;
    const ctx = this.context(props);
    try {
      const reset = this.spec.resetOnDelete?.(props, ctx);
      if (reset) {
        // Incus will not delete it: put back what a new one has, owning every field so nothing of ours stays.
        await this.converge(ctx, { ...props, ...reset, [LEARNT_KEY]: {} } as unknown as I & State);
      } else if (this.spec.delete) {
        // A kind with its own delete needs the live object (an instance is stopped first).
        const found = await this.readLive(ctx, props);
        if (found && (await this.stillOurs(ctx, props, found))) await this.spec.delete(ctx, props, found.live);
        else if (found) return;
      } else if (typeof props[CLAIM_KEY] === "string" && !(await this.stillOurs(ctx, props, await this.readLive(ctx, props)))) {
        // Another create took it over: left where it is, with its record.
        return;
      } else {
        // A 404 means it is gone already. Incus 6.0.4 lists a bridge's child interfaces before deleting it and fails
        // (HTTP 500) when one of them (an instance's veth) vanishes meanwhile: that answer is transient, retried.
        for (let attempt = 1; ; attempt++) {
          try {
            await ctx.client.delete(this.spec.path(props), this.reqOpts(ctx));
            break;
          } catch (err) {
            if (attempt >= 5 || !/Failed to delete bridge children interfaces/.test(this.message(err))) throw err;
            await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          }
        }
      }
    } catch (err) {
      if (!isNotFound(err)) this.fail(props, ctx, err);
    }
    // The object is gone: so is the record of its mark, when it holds this resource's claim.
    const record = typeof props[CLAIM_KEY] === "string" ? this.recordOf(ctx, props) : undefined;
    if (record && parseMark(await readRecord(ctx.client, record))?.claim === props[CLAIM_KEY]) await writeRecord(ctx.client, record, "").catch(() => undefined);
  }
}
