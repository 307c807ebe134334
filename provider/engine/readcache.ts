// Many reads of one kind answered by one list. A preview, a no-change `up` or a refresh reads every object of the
// stack, one after another (Pulumi diffs serially) or a few at once (refresh). When reads walk through several
// objects of one kind and project, one `GET <collection>?recursion=1` answers them and those that follow shortly,
// instead of one GET each. Reads of one object (a stack with one object of the kind) are GETs of it.
//
// Freshness rule (what makes the answer as good as a GET of the object):
// - only reads that need no ETag use it (diff and refresh); every write still GETs the one object for its ETag;
// - a list answers reads while the walk goes on: each read starts at most MAX_AGE_MS after the one before it that
//   the list answered (a pause longer than that, and the next read starts over). So one list answers a walk through
//   1,000 objects however long the engine takes, as reading them all at the start would. A pause is time this
//   process spent waiting for the next read (its event loop idle), not time it spent answering the reads it has:
//   a provider given a tenth of a CPU (a loaded machine) spends many seconds turning 1,000 listed objects into
//   answers, while the reads behind them wait in its queue, and counting that as a pause made one refresh send 6
//   lists (the plugin at 1,000 profiles, issue 28). The cache lives in the
//   provider process, which lives for one Pulumi command, so anything changed before the command (drift made with
//   `incus config set` between two previews) is always seen, and an edit racing the command, the next one sees;
// - a list answers each object once: reading the same object again (a caller that expects news) sends a GET;
// - any write this process makes (create, update, delete, of any kind) drops every list, and a list that was in
//   flight during a write is not used: our own changes, and what they change in other objects, are always seen;
// - an object missing from the list is confirmed by a GET of it: "gone" (which re-creates) is never decided from
//   a list.
import { performance } from "node:perf_hooks";
import type { Live } from "./kind";

interface CachedList {
  /** When it last answered a read (or was sent), on ReadCache.clock. */
  usedAt: number;
  generation: number;
  byName: Promise<Map<string, Live>>;
  /** Objects this list has answered for already. */
  served: Set<string>;
}

/** Milliseconds this process's event loop has waited with nothing to do (grows only while it is idle). */
const idleMs = (): number => performance.eventLoopUtilization().idle;

export class ReadCache {
  static MAX_AGE_MS = 2000;
  /** The clock pauses are measured with: idle time of this process (tests move it by hand). */
  static clock: () => number = idleMs;
  private readonly lists = new Map<string, CachedList>();
  /** The last object read in each collection, and when: reading another one soon after walks through the kind. */
  private readonly lastRead = new Map<string, { name: string; at: number }>();
  /** Bumped at the start and end of every write. */
  private generation = 0;
  private writes = 0;

  /**
   * The object whose key field is `name` in `collection` (a key that names endpoint, project and collection): from a fresh list
   * that has not answered for it yet, or a new list when reads walk through the collection, else from `getOne`.
   */
  async read(
    collection: string,
    name: string,
    getOne: () => Promise<Live | null>,
    list: () => Promise<Live[]>,
    /** The field of a listed object that `name` matches (a forward's `listen_address`). */
    keyField = "name",
  ): Promise<Live | null> {
    const now = ReadCache.clock();
    let entry = this.lists.get(collection);
    if (entry && (entry.generation !== this.generation || now - entry.usedAt > ReadCache.MAX_AGE_MS)) {
      this.lists.delete(collection);
      entry = undefined;
    }
    const last = this.lastRead.get(collection);
    this.lastRead.set(collection, { name, at: now });
    if (entry?.served.has(name)) return getOne();
    if (!entry) {
      const walking = last !== undefined && last.name !== name && now - last.at <= ReadCache.MAX_AGE_MS;
      if (!walking || this.writes > 0) return getOne();
      const created: CachedList = {
        usedAt: now,
        generation: this.generation,
        byName: list().then((items) => new Map(items.map((item) => [String(item[keyField]), item]))),
        served: new Set(),
      };
      created.byName.catch(() => this.lists.get(collection) === created && this.lists.delete(collection));
      this.lists.set(collection, (entry = created));
    }
    entry.served.add(name);
    entry.usedAt = now;
    let byName: Map<string, Live>;
    try {
      byName = await entry.byName;
    } catch {
      return getOne(); // the list failed (e.g. not allowed): the object's own GET says what is wrong, if anything
    }
    entry.usedAt = ReadCache.clock(); // a slow answer (a list of 1,000 objects on a busy machine) does not end the walk
    if (entry.generation !== this.generation) return getOne(); // a write began while the list was in flight
    const found = byName.get(name);
    return found ? structuredClone(found) : getOne();
  }

  /** Changes whenever this process starts or ends a write: a value read before is stale once it differs. */
  get writeGeneration(): number {
    return this.generation;
  }

  /** Runs a write: every list is dropped before it starts and again when it ends. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    this.writes++;
    this.drop();
    try {
      return await write();
    } finally {
      this.writes--;
      this.drop();
    }
  }

  /** After a write, reading starts over: the next read is a GET, a list comes only when the walk resumes. */
  private drop(): void {
    this.generation++;
    this.lists.clear();
    this.lastRead.clear();
  }
}

/** One per provider process: all kinds share it, so a write to any kind drops every list. */
export const readCache = new ReadCache();
