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
import type { IncusClient } from "../client";
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

// ---- reads shared by calls under way at the same time ----------------------------------------------------------
//
// A destroy at `--parallel ≥ N` asks for hundreds of deletes at once, and each must read its object first (is it
// still this resource's? takeover.ts `stillOurs`). Those reads are shared, and stay exactly as fresh as each call's own
// GET: a call joins only a read not sent yet, so whatever happened before the call began (a newer create that took the
// object over, in this process or any other) is in what it gets. Per collection at most one read is in flight; calls
// arriving meanwhile wait and share the next one, sent when it returns. A call with nothing in flight is read on the
// next turn of the event loop, with those of the same turn (a lone delete: its own GET, as before). A read shared by
// many objects is one list of the collection (when they are a fair share of it), else each object's own GET.

interface Batch<T> {
  /** Each waiting object's own read, by name. */
  items: Map<string, () => Promise<T | null>>;
  list: () => Promise<Live[]>;
  keyField: string;
  answer: Promise<Map<string, PromiseSettledResult<T | null>>>;
  send: () => void;
}

export class SharedReads {
  /** Fewest objects waiting together that are read by one list. */
  static LIST_MIN = 4;
  /**
   * …and the least part of the collection (as last listed) they must be. Incus 6.0 answers a list of 1,000 profiles in
   * 0.08 s and 1,000 GETs at once in 10–13 s (docs/performance.md): a list costs about what a GET per 100 objects does.
   */
  static LIST_SHARE = 1 / 100;
  private readonly flying = new Set<string>();
  private readonly next = new Map<string, Batch<Live>>();
  private readonly listed = new Map<string, number>();

  /** The object `name` of `collection` (a key naming endpoint, project and collection), or null when it is gone. */
  async read(collection: string, name: string, getOne: () => Promise<Live | null>, list: () => Promise<Live[]>, keyField = "name"): Promise<Live | null> {
    let batch = this.next.get(collection);
    if (!batch) {
      let send!: () => void;
      const created: Batch<Live> = { items: new Map(), list, keyField, send: () => send(), answer: Promise.resolve(new Map()) };
      // `answer` waits for `send`: the items are read when the batch goes, not when its first call came.
      created.answer = new Promise<void>((r) => (send = r)).then(() => this.fetch(collection, created));
      this.next.set(collection, (batch = created));
      if (!this.flying.has(collection)) this.launch(collection);
    }
    if (!batch.items.has(name)) batch.items.set(name, getOne);
    const answer = (await batch.answer).get(name)!;
    if (answer.status === "rejected") throw answer.reason;
    return answer.value ? structuredClone(answer.value) : null;
  }

  /** Sends the collection's waiting read on the next turn (calls of this turn join it); the one after waits for it. */
  private launch(collection: string): void {
    const batch = this.next.get(collection);
    if (!batch) return;
    this.flying.add(collection);
    setImmediate(() => {
      this.next.delete(collection); // from here on, a call waits for the next read
      batch.send();
      batch.answer
        .catch(() => undefined)
        .then(() => {
          this.flying.delete(collection);
          this.launch(collection);
        });
    });
  }

  /** Each waiting object's answer (or the error of its own GET, for it alone). */
  private async fetch(collection: string, batch: Batch<Live>): Promise<Map<string, PromiseSettledResult<Live | null>>> {
    const names = [...batch.items.keys()];
    const own = (n: string) => batch.items.get(n)!();
    const settle = async (reads: Promise<Live | null>[]) => new Map((await Promise.allSettled(reads)).map((r, i) => [names[i], r]));
    const known = this.listed.get(collection);
    if (names.length < SharedReads.LIST_MIN || (known !== undefined && names.length < known * SharedReads.LIST_SHARE)) return settle(names.map(own));
    const listed = await batch.list().catch(() => undefined);
    if (!listed) return settle(names.map(own)); // the list failed (e.g. not allowed): each GET says what is wrong
    this.listed.set(collection, listed.length);
    const byName = new Map(listed.map((item) => [String(item[batch.keyField]), item]));
    // One the list does not hold is confirmed by its own GET: "gone" is never decided from a list.
    return settle(names.map((n) => (byName.has(n) ? Promise.resolve(byName.get(n)!) : own(n))));
  }
}

/** One per provider process. */
export const sharedReads = new SharedReads();

/** The server a client talks to, as the caches name it. */
export const serverOf = (client: IncusClient): string => (client.endpoint.kind === "unix" ? client.endpoint.socketPath : client.endpoint.url);
