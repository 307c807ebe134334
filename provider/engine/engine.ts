// The one generic engine behind every kind, as the provider contract sees it: check, diff, create, read, update and
// delete (and the lookups), all driven by a KindSpec. Each method hands over to the module that does the step:
// fields.ts (the pure field model), check.ts, diff.ts, live.ts, create.ts, write.ts, lookup.ts.
import { EngineBase, LOOKUP_KEY, withoutProvider } from "./base";
import { type CheckFailure, check } from "./check";
import { type DiffResult, diffDetailed } from "./diff";
import { create } from "./create";
import { rethrowForUser } from "./errors";
import type { DetailedDiff, State } from "./fields";
import type { CommonInputs, KindSpec } from "./kind";
import { importById } from "./importing";
import { read } from "./live";
import { idPattern, lookupObject, lookupObjects, readById } from "./lookup";
import { readCache } from "./readcache";
import type { SecretPath } from "./secrets";
import { memberOf, withMemberNote } from "./target";
import { remove, update } from "./write";

export type { CheckFailure } from "./check";
export type { DiffResult } from "./diff";
export type { DetailedDiff } from "./fields";

// check, diff, read, delete and the lookups fail with the message only (engine/errors.ts says why); create and
// update may fail with a PartialFailure, which the dynamic provider host turns into partial state.
export class KindEngine<I extends CommonInputs> {
  private readonly e: EngineBase<I>;

  constructor(readonly spec: KindSpec<I>) {
    this.e = new EngineBase(spec);
  }

  async check(olds: State, news: State): Promise<{ inputs?: State; failures?: CheckFailure[] }> {
    return check(this.e, olds, news).catch(rethrowForUser);
  }

  async diff(id: string, olds: State, news: State): Promise<DiffResult> {
    const { result } = await this.diffDetailed(id, olds, news).catch(this.noted(olds)).catch(rethrowForUser);
    // A dynamic provider's update needs no delete-first flag: the TypeScript classes ask for it on every replacement
    // Pulumi decides by itself (replaceOnChanges); the plugin's callers get it from diffDetailed.
    return result.replaces?.length ? result : { changes: result.changes };
  }

  /** The diff with, where every difference is a field, what differs property by property (the plugin's detailed diff). */
  async diffDetailed(_id: string, olds: State, news: State): Promise<{ result: DiffResult; detailed?: DetailedDiff }> {
    return diffDetailed(this.e, olds, news);
  }

  async create(inputs: State): Promise<{ id: string; outs: State }> {
    return readCache.writing(() => create(this.e, inputs)).catch(this.noted(inputs));
  }

  async read(id: string, propsRaw: State): Promise<{ id?: string; props?: State; inputs?: State }> {
    const props = withoutProvider(propsRaw);
    // A lookup manages nothing: first read and refresh alike report what its id names.
    const lookedUp = props.name === undefined || props[LOOKUP_KEY] === true;
    return (lookedUp ? readById(this.e, id, props, props[LOOKUP_KEY] === true) : read(this.e, id, props)).catch(this.noted(props)).catch(rethrowForUser);
  }

  /** `pulumi import`: the object the id names, with the inputs a program would declare for it (importing.ts). */
  async importObject(id: string): Promise<{ id: string; props: State; inputs: State }> {
    return importById(this.e, id).catch(rethrowForUser);
  }

  async update(id: string, olds: State, news: State): Promise<{ outs: State }> {
    return readCache.writing(() => update(this.e, id, olds, news)).catch(this.noted({ ...olds, ...news }));
  }

  async delete(_id: string, props: State): Promise<void> {
    return readCache
      .writing(() => remove(this.e, props))
      .catch(this.noted(props))
      .catch(rethrowForUser);
  }

  /**
   * For `.catch`: a failure about an object of a cluster names the member that does not answer, when that is why
   * (engine/target.ts); the error is thrown on otherwise unchanged (a partial failure keeps its state).
   */
  private noted(state: State) {
    return async (err: unknown): Promise<never> => {
      let ctx: ReturnType<typeof this.e.context>;
      try {
        ctx = this.e.context(withoutProvider(state));
      } catch {
        throw err;
      }
      throw await withMemberNote(ctx, memberOf(state), err);
    };
  }

  /** `getXxx(args)`: the object the arguments name, as the server has it. */
  async lookup(args: State): Promise<State> {
    return lookupObject(this.e, args).catch(rethrowForUser);
  }

  /** `getXxxs(args)`: every object of the kind in the project that matches the kind's filters. */
  async lookupList(args: State): Promise<State[]> {
    return lookupObjects(this.e, args).catch(rethrowForUser);
  }

  /** The fields a lookup names an object by: those its path reads (name, parents), without the connection. */
  lookupIdentity(): string[] {
    return idPattern(this.e).fields;
  }

  /** Paths of the credential keys (FieldSpec.secretKeys) that hold a value in a found object (a lookup's result). */
  secretKeysIn(found: State): SecretPath[] {
    return this.e.model.secretKeysIn(found);
  }
}
