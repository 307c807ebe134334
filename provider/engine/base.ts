// What every step of the engine shares: the kind's declaration and field model, the client and project of an object
// (Context), how messages name it, its outputs, and what one run has seen (objects the stack records, reads handed
// from a refresh's read to its diff). The steps themselves are in check, diff, live, create, write and lookup.
import { IncusError } from "../client";
import { clientFor, defaultProject } from "./connection";
import { UserError } from "./errors";
import { FieldModel, type State } from "./fields";
import { OWNER_KEY, schemaShape } from "./inputs";
import type { CommonInputs, Context, KindSpec, Live } from "./kind";
import { CLAIM_KEY } from "./ownership";
import { redactDeep, redactor, SECRETS_KEY } from "./secrets";
import { memberOf, perMember } from "./target";

export const PROVIDER_KEY = "__provider";
/**
 * Output flag of an object whose create Incus may or may not have carried out (the answer was lost): the next diff
 * does not trust such an object and makes it again (Incus keeps half-made instances after a crash).
 */
export const UNCONFIRMED_KEY = "__createUnconfirmed";
/** Output flag of an object read by `Kind.get(name, id)` (a YAML `get:`): a refresh reads it by its id again. */
export const LOOKUP_KEY = "__readById";
/** Inputs that are not the program's fields: they identify the object or say how to reach it. */
export const CONNECTION_KEYS = ["name", "project", "remote", "socket", "configDir"];

/** What a read hands back to Pulumi, whose Struct cannot carry undefined values. */
export const defined = (o: State): State => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export function withoutProvider(o: State): State {
  const { [PROVIDER_KEY]: _provider, [OWNER_KEY]: _owner, [UNCONFIRMED_KEY]: _unconfirmed, ...rest } = o ?? {};
  return rest;
}

/** An error that leaves the object in state: it exists on the server although a later step failed. */
export class PartialFailure extends Error {
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

/** A live object and the ETag it was read with (none when it came from a list). */
export type Found = { live: Live; etag?: string };

export class EngineBase<I extends CommonInputs> {
  readonly model: FieldModel<I>;
  /**
   * Where the objects live that resources of the stack record, as far as this run has seen (each one diffed). A
   * create at such a place must not take the object there over even when it carries the creating resource's own
   * mark: it is the old half of that resource's replacement, deleted only after the create.
   */
  readonly recorded = new Set<string>();
  /** Objects a refresh's read found, for the diff that follows it (live.ts). */
  readonly handover = new Map<string, { found: Found | null; at: number; generation: number }>();

  constructor(readonly spec: KindSpec<I>) {
    this.model = new FieldModel(spec);
  }

  /** The client and project for an object; messages hide the secret values of every state given. */
  context(state: State, ...secretsOf: State[]): Context {
    const client = clientFor(state);
    const ctx: Context = {
      client,
      project: this.spec.scoped ? ((state.project as string | undefined) ?? defaultProject(client)) : undefined,
      type: this.spec.type,
      // An object that lives on one cluster member is always asked for there (engine/target.ts).
      target: perMember(this.spec) ? memberOf(state) : undefined,
      redact: redactor(...[state, ...secretsOf].map((s) => this.model.withKindSecrets(s))),
      isRecorded: (path) => this.recorded.has(this.placeOf(ctx, path)),
    };
    return ctx;
  }

  reqOpts(ctx: Context) {
    const project = this.spec.scoped ? (ctx.project ?? null) : null;
    return ctx.target ? { project, query: { target: ctx.target } } : { project };
  }

  /** Options of a guarded write: where If-Match is ignored, the client compares before it writes. */
  writeOpts(ctx: Context) {
    return { ...this.reqOpts(ctx), compareBeforeWrite: this.spec.put?.ignoresIfMatch === true };
  }

  idOf(state: State, ctx: Context): string {
    const path = this.spec.path(state as I);
    const query = new URLSearchParams();
    if (this.spec.scoped && ctx.project && ctx.project !== "default") query.set("project", ctx.project);
    if (ctx.target) query.set("target", ctx.target);
    return query.size ? `${path}?${query}` : path;
  }

  /** Whether the object's path can be known before it exists (not for an image copied from a server). */
  addressable(state: State): boolean {
    try {
      this.spec.path(state as I);
      return true;
    } catch {
      return false;
    }
  }

  /** Where an object lives: the server, the project and its API path. */
  place(ctx: Context, state: State): string {
    return this.placeOf(ctx, this.spec.path(state as I));
  }

  placeOf(ctx: Context, path: string): string {
    const where = [ctx.client.endpoint.kind === "unix" ? ctx.client.endpoint.socketPath : ctx.client.endpoint.url, ctx.project, path];
    return JSON.stringify(ctx.target ? [...where, ctx.target] : where);
  }

  /** `Profile "web" in project "lab"`; during a rename, `Profile "web" (renaming to "www") in project "lab"`. */
  describe(state: State, ctx: Context, renamingFrom?: unknown): string {
    const where = (this.spec.scoped ? ` in project "${ctx.project ?? "default"}"` : "") + (ctx.target ? ` on cluster member "${ctx.target}"` : "");
    const name =
      renamingFrom !== undefined && renamingFrom !== state.name
        ? `"${renamingFrom}" (renaming to "${state.name}")`
        : this.spec.title
          ? this.titleOf(state)
          : `"${state.name}"`;
    return `${this.spec.type} ${name}${where}`;
  }

  titleOf(state: State): string {
    try {
      return this.spec.title!(state as I);
    } catch {
      return `"${state.name}"`;
    }
  }

  message(err: unknown): string {
    return err instanceof IncusError ? err.message : err instanceof Error ? err.message : String(err);
  }

  /** Fails naming the object; the message says what to fix, no stack frames of the provider (engine/errors.ts). */
  fail(state: State, ctx: Context, err: unknown, renamingFrom?: unknown): never {
    throw new UserError(ctx.redact(`${this.describe(state, ctx, renamingFrom)}: ${this.message(err)}`));
  }

  /** Lines the engine shows under the resource: the only way a dynamic provider can say what differs. */
  report(state: State, ctx: Context, lines: string[], prefix = ""): void {
    for (const line of lines) console.log(ctx.redact(`${this.describe(state, ctx)}: ${prefix}${line}`));
  }

  /** Outputs: the checked inputs plus the kind's values read from the live object (status, fingerprint, …). */
  outputs(inputs: State, live: Live, ctx: Context): State {
    const outs: State = withoutProvider(inputs);
    if (this.spec.scoped) outs.project = ctx.project;
    for (const key of this.spec.outputKeys ?? []) outs[key] = null;
    // Derived outputs are not inputs, so Pulumi cannot know they carry secret values: hide those values. Outputs the
    // kind declares secret keep theirs: Pulumi stores them encrypted (additionalSecretOutputs).
    const secret = new Set(this.spec.secretOutputs ?? []);
    for (const [key, value] of Object.entries(this.spec.outputs?.(live, inputs as I) ?? {}))
      outs[key] = secret.has(key) ? value : redactDeep(value, ctx.redact);
    return outs;
  }

  /** Inputs that only steer the provider (adopt, deleteContents, stopTimeout, where an image comes from, …). */
  settingKeys(): string[] {
    const skip = new Set([...CONNECTION_KEYS, ...(this.spec.identity ?? []), ...Object.keys(this.spec.fields), ...(this.spec.outputKeys ?? [])]);
    return [...Object.keys(schemaShape(this.spec.schema)).filter((k) => !skip.has(k)), SECRETS_KEY];
  }

  /** The claim a resource recorded, to carry into its next outputs. */
  claimOf(state: State): State {
    return typeof state[CLAIM_KEY] === "string" ? { [CLAIM_KEY]: state[CLAIM_KEY] } : {};
  }

  /** Output-only identity that later calls need to find the object (declared by the kind as outputs). */
  carriedIdentity(olds: State): State {
    return Object.fromEntries((this.spec.outputKeys ?? []).filter((k) => olds[k] !== undefined && olds[k] !== null).map((k) => [k, olds[k]]));
  }
}
