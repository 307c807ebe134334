// The one generic engine behind every kind: check, diff against the live object, create, read, update (ETag-guarded
// full PUT with bounded 412 retry) and delete, all driven by a KindSpec.
import { isDeepStrictEqual } from "node:util";
import { IncusError, isAlreadyExists, isNotFound } from "../client";
import { clientFor, defaultProject } from "./connection";
import { containsUnknown, fieldName, isUnknown, schemaShape, unknownPaths } from "./inputs";
import type { CommonInputs, Context, FieldSpec, KindSpec, Live } from "./kind";
import { readCache } from "./readcache";

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

const PROVIDER_KEY = "__provider";

function withoutProvider(o: State): State {
  const { [PROVIDER_KEY]: _ignored, ...rest } = o ?? {};
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

/** The known field nearest to a misspelt one (edit distance at most 2, or the same ignoring case). */
function closestField(key: string, known: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const cur = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = cur;
      }
    }
    return row[b.length];
  };
  let best: [string, number] | undefined;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : distance(key, k);
    if (d <= 2 && (!best || d < best[1])) best = [k, d];
  }
  return best?.[0];
}

export class KindEngine<I extends CommonInputs> {
  constructor(readonly spec: KindSpec<I>) {}

  private api(field: string): string {
    return this.spec.fields[field as keyof I & string]?.api ?? field;
  }

  private entries(): [string, FieldSpec][] {
    return Object.entries(this.spec.fields) as [string, FieldSpec][];
  }

  /** A live field as the program would write it. */
  private liveValue(field: string, fs: FieldSpec, live: Live): unknown {
    const raw = live[this.api(field)];
    const v = fs.fromLive ? fs.fromLive(raw) : raw;
    if (v === undefined || v === null) return fs.empty;
    if (fs.serverKeys && v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v as State).filter(([k]) => !fs.serverKeys!(k)));
    }
    return v;
  }

  /**
   * The part of a live map the program answers for: every key it sets, and every key the server did not fill in.
   * A server key the program sets is compared; one it leaves alone is the server's business.
   */
  private managedPart(fs: FieldSpec, desired: State, liveRaw: unknown): State {
    return Object.fromEntries(Object.entries((liveRaw ?? {}) as State).filter(([k]) => k in desired || !fs.serverKeys!(k)));
  }

  private fieldEqual(fs: FieldSpec, desired: unknown, live: unknown, liveRaw: unknown): boolean {
    if (fs.serverKeys && desired && typeof desired === "object") {
      return isDeepStrictEqual(desired, this.managedPart(fs, desired as State, liveRaw));
    }
    return isDeepStrictEqual(desired, live ?? fs.empty);
  }

  /** Fields whose desired value differs from the live object, by mode. */
  changedFields(inputs: State, live: Live): { update: string[]; replace: string[] } {
    const out = { update: [] as string[], replace: [] as string[] };
    for (const [field, fs] of this.entries()) {
      const desired = inputs[field];
      if (desired === undefined || fs.mode === "create") continue;
      const raw = fs.fromLive ? fs.fromLive(live[this.api(field)]) : live[this.api(field)];
      if (containsUnknown(desired) || !this.fieldEqual(fs, desired, this.liveValue(field, fs, live), raw)) {
        out[fs.mode === "replace" ? "replace" : "update"].push(field);
      }
    }
    return out;
  }

  /** One line per difference, in the program's terms, for the preview (dynamic providers get no detailed diff). */
  describeChanges(inputs: State, live: Live, fields: string[]): string[] {
    const lines: string[] = [];
    const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v));
    for (const field of fields) {
      const fs = this.spec.fields[field as keyof I & string]!;
      const desired = inputs[field];
      const current = this.liveValue(field, fs, live);
      if (fs.serverKeys && desired && typeof desired === "object") {
        const d = desired as State;
        const l = this.managedPart(fs, d, live[this.api(field)]);
        for (const key of new Set([...Object.keys(d), ...Object.keys(l)])) {
          if (!isDeepStrictEqual(d[key], l[key])) lines.push(`${field}[${JSON.stringify(key)}]: server has ${show(l[key])}, program wants ${show(d[key])}`);
        }
      } else {
        lines.push(`${field}: server has ${show(current)}, program wants ${show(desired)}`);
      }
    }
    return lines;
  }

  /** The full PUT body: live writable fields, with the program's fields laid over them. */
  putBody(inputs: State, live: Live): State {
    const body: State = {};
    for (const key of this.spec.putExtras ?? []) if (live[key] !== undefined) body[key] = live[key];
    for (const [field, fs] of this.entries()) {
      if (fs.mode !== "update") continue;
      const api = this.api(field);
      const desired = inputs[field];
      if (desired === undefined) {
        if (live[api] !== undefined) body[api] = live[api];
      } else if (fs.serverKeys && typeof desired === "object" && desired) {
        const kept = Object.entries((live[api] ?? {}) as State).filter(([k]) => fs.serverKeys!(k) && !(k in (desired as State)));
        body[api] = { ...Object.fromEntries(kept), ...(desired as State) };
      } else {
        body[api] = desired;
      }
    }
    return body;
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

  private context(state: State): Context {
    const client = clientFor(state);
    return {
      client,
      project: this.spec.scoped ? ((state.project as string | undefined) ?? defaultProject(client)) : undefined,
      type: this.spec.type,
    };
  }

  private reqOpts(ctx: Context) {
    return { project: this.spec.scoped ? (ctx.project ?? null) : null };
  }

  private idOf(state: State, ctx: Context): string {
    const path = this.spec.path(state as I);
    return this.spec.scoped && ctx.project && ctx.project !== "default" ? `${path}?project=${encodeURIComponent(ctx.project)}` : path;
  }

  /** `Profile "web" in project "lab"`; during a rename, `Profile "web" (renaming to "www") in project "lab"`. */
  private describe(state: State, ctx: Context, renamingFrom?: unknown): string {
    const where = this.spec.scoped ? ` in project "${ctx.project ?? "default"}"` : "";
    const name = renamingFrom !== undefined && renamingFrom !== state.name ? `"${renamingFrom}" (renaming to "${state.name}")` : `"${state.name}"`;
    return `${this.spec.type} ${name}${where}`;
  }

  private fail(state: State, ctx: Context, err: unknown, renamingFrom?: unknown): never {
    const text = err instanceof IncusError ? err.message : err instanceof Error ? err.message : String(err);
    const e = new Error(`${this.describe(state, ctx, renamingFrom)}: ${text}`);
    if (err instanceof Error && err.stack) e.stack = e.message + "\n" + err.stack.split("\n").slice(1).join("\n");
    throw e;
  }

  /**
   * During a refresh the Pulumi engine calls read and then diff on the same object straight away. The object read
   * by `read` is handed to that diff once, if it is at most this old, instead of being fetched a second time.
   */
  private static readonly HANDOVER_MS = 2000;
  private readonly handover = new Map<string, { found: { live: Live; etag?: string } | null; at: number }>();

  private handoverKey(ctx: Context, state: State): string {
    return JSON.stringify([ctx.client.endpoint.kind === "unix" ? ctx.client.endpoint.socketPath : ctx.client.endpoint.url, ctx.project, this.spec.path(state as I)]);
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
    const live = await readCache.read(
      key,
      String(state.name),
      async () => (await this.readLive(ctx, state))?.live ?? null,
      () => ctx.client.list<Live>(collection, this.reqOpts(ctx)),
    );
    return live ? { live } : null;
  }

  /** What the outputs need beyond the object itself (the kind's details hook, e.g. an instance's addresses). */
  private async withDetails(ctx: Context, live: Live): Promise<Live> {
    return this.spec.details ? this.spec.details(ctx, live) : live;
  }

  /** Outputs: the checked inputs plus the kind's values read from the live object (status, fingerprint, …). */
  private outputs(inputs: State, live: Live, ctx: Context): State {
    const outs: State = { ...inputs };
    if (this.spec.scoped) outs.project = ctx.project;
    for (const key of this.spec.outputKeys ?? []) outs[key] = null;
    Object.assign(outs, this.spec.outputs?.(live, inputs as I) ?? {});
    return outs;
  }

  private knownFields(): string[] {
    return Object.keys(schemaShape(this.spec.schema));
  }

  // ---- the ResourceProvider methods -------------------------------------------------------------------------

  async check(_olds: State, news: State): Promise<{ inputs?: State; failures?: CheckFailure[] }> {
    const raw = withoutProvider(news);
    const unknown = unknownPaths(raw).map((p) => p.join("\u0000"));
    const underUnknown = (path: PropertyKey[]) => {
      const key = path.map(String).join("\u0000");
      return unknown.some((u) => key === u || key.startsWith(u + "\u0000"));
    };
    const parsed = this.spec.schema.safeParse(raw, {
      error: (issue) => (issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined),
    });
    if (!parsed.success) {
      const failures = parsed.error.issues
        .filter((i) => !underUnknown(i.path))
        .flatMap((i): CheckFailure[] => {
          if (i.code !== "unrecognized_keys") return [{ property: fieldName(i.path), reason: `${fieldName(i.path)}: ${i.message}` }];
          // A misspelt field must not be silently ignored: name it, and the field that was probably meant.
          return i.keys.map((key) => {
            const field = fieldName([...i.path, key]);
            const hint = closestField(key, this.knownFields());
            return { property: field, reason: `${field}: ${this.spec.type} has no such field${hint ? ` (did you mean \`${hint}\`?)` : ""}` };
          });
        });
      if (failures.length) return { failures };
      // Values still unknown in a preview are checked again when they are known; the known fields are
      // normalised one by one, so the preview compares what will really be sent.
      return this.withDefaultProject(this.normaliseKnownFields(raw));
    }
    return this.withDefaultProject(parsed.data as State);
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

  private withDefaultProject(inputs: State): { inputs?: State; failures?: CheckFailure[] } {
    if (this.spec.scoped && inputs.project === undefined && !containsUnknown([inputs.remote, inputs.socket, inputs.configDir])) {
      try {
        inputs.project = defaultProject(clientFor(inputs));
      } catch (err) {
        // An unknown remote or an unreadable CLI config: a problem with the connection settings, said at preview.
        return { failures: [{ property: "remote", reason: `remote: ${(err as Error).message}` }] };
      }
    }
    return { inputs };
  }

  async diff(_id: string, olds: State, news: State): Promise<DiffResult> {
    news = withoutProvider(news);
    olds = withoutProvider(olds);
    const replaces = new Set<string>();
    const identity = ["project", "remote", ...(this.spec.identity ?? [])];
    for (const key of identity) {
      if (news[key] !== undefined && !isDeepStrictEqual(news[key], olds[key])) replaces.add(key);
    }
    const renamed = news.name !== olds.name && !this.spec.nameIsLabel;
    if (renamed && (!this.spec.renamable || isUnknown(news.name))) replaces.add("name");
    if (replaces.size) return { changes: true, replaces: [...replaces], deleteBeforeReplace: !renamed };

    const ctx = this.context(olds);
    const handed = this.takeHandover(ctx, olds);
    const found = handed !== undefined ? handed : await this.readForDiff(ctx, olds);
    // Identity learnt at create (an image's fingerprint) stays in the outputs, not in the program.
    news = { ...this.learnt(olds), ...news };
    if (!found) {
      // Deleted behind our back: re-create it under the same name.
      return { changes: true, replaces: ["name"], deleteBeforeReplace: true };
    }
    const changed = this.changedFields(news, found.live);
    const extra = this.spec.extraDiff?.(news as I, found.live) ?? [];
    const lines = [...this.describeChanges(news, found.live, [...changed.replace, ...changed.update]), ...extra];
    // The engine shows this under the resource: it is the only way a dynamic provider can say what differs.
    for (const line of lines) console.log(`${this.describe(olds, ctx)}: ${line}`);
    if (changed.replace.length) return { changes: true, replaces: changed.replace, deleteBeforeReplace: !renamed };
    return { changes: renamed || changed.update.length > 0 || extra.length > 0 };
  }

  async create(inputsRaw: State): Promise<{ id: string; outs: State }> {
    return readCache.writing(() => this.createObject(inputsRaw));
  }

  private async createObject(inputsRaw: State): Promise<{ id: string; outs: State }> {
    let inputs = withoutProvider(inputsRaw) as I & State;
    const ctx = this.context(inputs);
    // Adopting looks first, so an object that is already there gets no create request (an image no upload).
    const existing = inputs.adopt ? await this.readLiveIfAddressable(ctx, inputs) : null;
    let failedAfterAccepted: unknown;
    if (!existing) {
      try {
        if (this.spec.create) inputs = { ...inputs, ...((await this.spec.create(ctx, inputs)) ?? {}) };
        else {
          const collection = this.spec.collection?.(inputs) ?? this.spec.path(inputs).replace(/\/[^/]+$/, "");
          await ctx.client.post(collection, this.createBody(inputs), this.reqOpts(ctx));
        }
      } catch (err) {
        // Incus accepted the create and its operation failed part-way (an instance created, then its start
        // failed): whatever the operation left is ours, since a name already in use is refused before that.
        if (err instanceof IncusError && err.operation && !isAlreadyExists(err)) failedAfterAccepted = err;
        else if (!isAlreadyExists(err)) this.fail(inputs, ctx, err);
        else if (!inputs.adopt) {
          this.fail(inputs, ctx, `it already exists; set \`adopt: true\` to manage the existing object, or choose another name`);
        }
      }
    }
    // Nothing was left behind (Incus reverted the create): a plain failure.
    if (failedAfterAccepted && !(await this.readLive(ctx, inputs).catch(() => null))) this.fail(inputs, ctx, failedAfterAccepted);
    const id = this.idOf(inputs, ctx);
    try {
      if (failedAfterAccepted) throw failedAfterAccepted;
      // An adopted object is changed only where the program differs from it; a new one only gets the extras.
      const live = await this.converge(ctx, inputs, existing ?? undefined);
      return { id, outs: this.outputs(inputs, await this.withDetails(ctx, live), ctx) };
    } catch (err) {
      // The object exists: keep it in state so nothing is leaked, and report what failed.
      const found = await this.readLive(ctx, inputs).catch(() => null);
      const live = found ? await this.withDetails(ctx, found.live).catch(() => found.live) : undefined;
      const props = live ? this.outputs(inputs, live, ctx) : { ...inputs };
      const what = existing ? "was adopted but could not be brought to the program's state" : "was created but is not ready";
      throw new PartialFailure(`${this.describe(inputs, ctx)} ${what}: ${(err as Error).message}`, id, props);
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

  /** Output-only identity that later calls need to find the object (declared by the kind as outputs). */
  private learnt(olds: State): State {
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
  private async converge(ctx: Context, inputs: I & State, initial?: { live: Live; etag?: string }): Promise<Live> {
    let { live, etag } = initial ?? (await this.mustRead(ctx, inputs));
    const changed = this.changedFields(inputs, live).update;
    if (changed.length) {
      // Some changes need the object in another state first (a stopped instance); the kind says how.
      const undo = await this.spec.aroundUpdate?.(ctx, inputs, inputs, live, changed);
      try {
        await ctx.client.update<Live>(
          this.spec.path(inputs),
          (current) => (this.changedFields(inputs, current).update.length ? this.putBody(inputs, current) : undefined),
          // After a state change the ETag has moved: then the first attempt reads again.
          { ...this.reqOpts(ctx), current: undo ? undefined : { value: live, etag } },
        );
      } finally {
        if (undo) await undo();
      }
      live = (await this.mustRead(ctx, inputs)).live;
    }
    if (this.spec.extraDiff?.(inputs, live).length && this.spec.applyExtra) {
      await this.spec.applyExtra(ctx, inputs, live);
      live = (await this.mustRead(ctx, inputs)).live;
    }
    return live;
  }

  async read(id: string, props: State): Promise<{ id?: string; props?: State; inputs?: State }> {
    props = withoutProvider(props);
    if (props.name === undefined) return this.readById(id, props);
    const ctx = this.context(props);
    const found = await this.readForDiff(ctx, props);
    this.handover.set(this.handoverKey(ctx, props), { found, at: Date.now() });
    if (!found) return {};
    const outs = this.outputs(this.inputsFrom(props, found.live), await this.withDetails(ctx, found.live), ctx);
    return { id, props: outs, inputs: this.inputsFrom(props, found.live) };
  }

  /** Stored inputs with the managed fields set to what the server has now (refresh repairs stored inputs). */
  private inputsFrom(props: State, live: Live): State {
    const outputOnly = new Set(this.spec.outputKeys ?? []);
    const inputs: State = Object.fromEntries(Object.entries(props).filter(([k, v]) => !outputOnly.has(k) && v !== undefined && v !== null));
    for (const [field, fs] of this.entries()) {
      if (inputs[field] === undefined || fs.mode === "create") continue;
      if (fs.serverKeys && typeof inputs[field] === "object") {
        inputs[field] = this.managedPart(fs, inputs[field] as State, live[this.api(field)]);
      } else {
        inputs[field] = this.liveValue(field, fs, live);
      }
    }
    return inputs;
  }

  /** `Kind.get(name, id)`: the id is the object's API path (with `?project=`). */
  private async readById(id: string, props: State) {
    const [path, query] = id.split("?", 2);
    const project = new URLSearchParams(query ?? "").get("project") ?? "default";
    const ctx = this.context({ ...props, project });
    try {
      const res = await ctx.client.get<Live>(path, this.reqOpts(ctx));
      const live = await this.withDetails(ctx, res.value);
      // A lookup manages nothing: every field is the live object's.
      const fields = Object.fromEntries(this.entries().filter(([, fs]) => fs.mode !== "create").map(([f, fs]) => [f, this.liveValue(f, fs, live)]));
      const outs = this.outputs({ name: live.name, ...fields, ...(this.spec.scoped ? { project } : {}) }, live, ctx);
      return { id, props: outs };
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
  }

  async update(id: string, oldsRaw: State, newsRaw: State): Promise<{ outs: State }> {
    return readCache.writing(() => this.updateObject(oldsRaw, newsRaw));
  }

  private async updateObject(oldsRaw: State, newsRaw: State): Promise<{ outs: State }> {
    const olds = withoutProvider(oldsRaw);
    const news = { ...this.learnt(olds), ...withoutProvider(newsRaw) } as I & State;
    const ctx = this.context(news);
    try {
      if (news.name !== olds.name && !this.spec.nameIsLabel) await this.rename(ctx, olds, news);
      const live = await this.converge(ctx, news);
      return { outs: this.outputs(news, await this.withDetails(ctx, live), ctx) };
    } catch (err) {
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
  }

  async delete(_id: string, propsRaw: State): Promise<void> {
    return readCache.writing(() => this.deleteObject(propsRaw));
  }

  private async deleteObject(propsRaw: State): Promise<void> {
    const props = withoutProvider(propsRaw) as I & State;
    const ctx = this.context(props);
    try {
      if (this.spec.delete) {
        // A kind with its own delete needs the live object (an instance is stopped first).
        const found = await this.readLive(ctx, props);
        if (found) await this.spec.delete(ctx, props, found.live);
      } else {
        await ctx.client.delete(this.spec.path(props), this.reqOpts(ctx)); // a 404 means it is gone already
      }
    } catch (err) {
      if (isNotFound(err)) return;
      this.fail(props, ctx, err);
    }
  }
}

