// The field model: what the program wants of an object, field by field, and how that compares with the live object.
// Pure: no client, no I/O. The rest of the engine (check, diff, write, live) decides from these answers.
import { isDeepStrictEqual } from "node:util";
import { containsUnknown, OWNER_MARKER, shown } from "./inputs";
import type { CommonInputs, FieldSpec, KindSpec, Live } from "./kind";
import { isSecretPath, SECRETS_KEY, type SecretPath, secretPaths } from "./secrets";

export type State = Record<string, unknown>;
/** Property path (`config["limits.cpu"]`) → how it differs between the program and the live object. */
export type DetailedDiff = Record<string, { kind: "add" | "delete" | "update"; replace: boolean }>;

/**
 * Stored with the outputs: config keys the server filled in when it created the object, by field, each with the
 * value the program sent for it (null: none; "auto" for an address Incus picked). Such a key is the server's until
 * the program names it (with another value).
 */
export const LEARNT_KEY = "__serverFilled";
export type Learnt = Record<string, Record<string, string | null>>;

export const isPlainObject = (v: unknown): v is State => !!v && typeof v === "object" && !Array.isArray(v);

/** What the program wants of one object, field by field, worked out from its inputs and what it declared last time. */
export interface Wanted {
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

/** Fields that differ from the live object, by what a change to them means. */
export interface Changed {
  update: string[];
  replace: string[];
}

export class FieldModel<I extends CommonInputs> {
  /** The map field that carries the owner marker (config, or an image's properties), when the kind has one. */
  readonly ownerField?: string;

  constructor(readonly spec: KindSpec<I>) {
    const field = spec.mark?.field ?? ("config" in spec.fields ? "config" : undefined);
    const fs = field ? (spec.fields as Record<string, FieldSpec>)[field] : undefined;
    if (field && fs) {
      // The marker is the provider's, never the program's: no diff shows it and every PUT keeps it.
      const serverKeys = fs.serverKeys;
      (spec.fields as Record<string, FieldSpec>)[field] = { ...fs, serverKeys: (k) => k === OWNER_MARKER || (serverKeys?.(k) ?? false) };
      this.ownerField = field;
    }
  }

  api(field: string): string {
    return this.spec.fields[field as keyof I & string]?.api ?? field;
  }

  entries(): [string, FieldSpec][] {
    return Object.entries(this.spec.fields) as [string, FieldSpec][];
  }

  /** Fields that are maps (config, devices, properties): compared and written key by key. */
  isMap(fs: FieldSpec): boolean {
    return isPlainObject(fs.empty);
  }

  /** A live field as the program would write it. */
  liveValue(field: string, fs: FieldSpec, live: Live): unknown {
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
  withKindSecrets(state: State): State {
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
  serverOwns(field: string, fs: FieldSpec, key: string, w: Wanted): boolean {
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
  changed(w: Wanted, live: Live): Changed {
    const out: Changed = { update: [], replace: [] };
    for (const [field, fs] of this.entries()) {
      if (w.values[field] === undefined || fs.mode === "create") continue;
      if (this.fieldDiffers(field, fs, w, live)) out[fs.mode === "replace" ? "replace" : "update"].push(field);
    }
    return out;
  }

  /** One line per difference, in the program's terms, for the preview (dynamic providers get no detailed diff). */
  describe(w: Wanted, live: Live, fields: string[]): string[] {
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

  /** Per property: map fields key by key (`config["limits.cpu"]`), other fields whole. */
  detail(w: Wanted, live: Live, changed: Changed, renamed: boolean, settings: string[]): DetailedDiff {
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

  /** The full PUT body: live writable fields, with the program's fields laid over them. */
  body(w: Wanted, live: Live): State {
    const body: State = {};
    for (const key of this.spec.put?.extras ?? []) if (live[key] !== undefined) body[key] = live[key];
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
        const cleared =
          fs.unsetAs === undefined
            ? []
            : Object.keys(have)
                .filter((k) => !(k in desired) && !this.serverOwns(field, fs, k, w))
                .map((k) => [k, fs.unsetAs]);
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
  learn(news: State, live: Live, adopted = false): Learnt {
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

  /** The body of the create POST: the kind's own, or the name plus every set field in API form. */
  createBody(inputs: I): State {
    if (this.spec.createBody) return this.spec.createBody(inputs);
    const body: State = { name: inputs.name };
    for (const [field, fs] of this.entries()) {
      const v = (inputs as State)[field];
      if (v !== undefined && fs.mode !== "create") body[this.api(field)] = v;
    }
    return body;
  }

  /** Managed fields of stored inputs set to what the server has now (refresh repairs stored inputs). */
  fromLive(inputs: State, props: State, live: Live): State {
    const w = this.want(props, props);
    for (const [field, fs] of this.entries()) {
      if (inputs[field] === undefined || fs.mode === "create") continue;
      const have = this.liveValue(field, fs, live);
      inputs[field] =
        this.isMap(fs) && isPlainObject(have) ? Object.fromEntries(Object.entries(have).filter(([k]) => !this.serverOwns(field, fs, k, w))) : have;
    }
    return inputs;
  }
}
