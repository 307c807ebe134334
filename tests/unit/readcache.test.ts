// The read cache (provider/engine/readcache.ts): one list answers a walk through many objects of a kind, and never
// at the cost of freshness: drift made by hand is seen, our own writes drop every list, "gone" is confirmed by a GET.
import { KindEngine, kinds } from "pulumi-incus/provider";
import { ReadCache, readCache, SharedReads } from "../../provider/engine/readcache";
import { FakeIncus, fakeIncusForFile } from "./fake-incus";

type State = Record<string, unknown>;
const profiles = new KindEngine(kinds.Profile as any);
const LIST = "GET /1.0/profiles?recursion=1";

const daemon = fakeIncusForFile();
let fake: FakeIncus;
beforeAll(() => {
  fake = daemon.current;
});

let run = 0;
let names: string[] = [];
const path = (name: string) => `/1.0/profiles/${name}`;
const state = (name: string, over: State = {}): State => ({ name, project: "default", socket: fake.socket, config: { "limits.cpu": "2" }, ...over });
const live = (name: string, over: State = {}): State => ({ name, description: "", config: { "limits.cpu": "2" }, devices: {}, used_by: [], ...over });
const requests = () => fake.requests.map((r) => `${r.method} ${r.path}`);
const diff = (name: string) => profiles.diff(path(name), state(name), state(name));

const idleClock = ReadCache.clock;
beforeEach(async () => {
  ReadCache.MAX_AGE_MS = 2000;
  ReadCache.clock = idleClock;
  // Fresh objects with names of their own, so no list or read of an earlier test plays a part.
  for (const n of names) fake.remove(path(n));
  run++;
  names = Array.from({ length: 6 }, (_, i) => `r${run}p${i}`);
  for (const n of names) fake.set(path(n), live(n));
  await readCache.writing(async () => undefined); // drops every list
  fake.requests.length = 0;
});

describe("a walk through many objects of one kind", () => {
  it("reads the first with a GET, then one list answers the rest, each as its own GET would", async () => {
    fake.set(path(names[4]), live(names[4], { config: { "limits.cpu": "8" } }));
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      const results = [];
      for (const n of names) results.push(await diff(n));
      expect(results.map((r) => r.changes)).toEqual([false, false, false, false, true, false]);
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([
        `Profile "${names[4]}" in project "default": config["limits.cpu"]: server has "8", program wants "2"`,
      ]);
    } finally {
      log.mockRestore();
    }
    expect(requests()).toEqual([`GET ${path(names[0])}`, LIST]);
  });

  it("refresh reads in parallel share one list, and each read's diff uses what its read saw", async () => {
    const reads = await Promise.all(names.map((n) => profiles.read(path(n), state(n))));
    expect(reads.map((r) => r.id)).toEqual(names.map(path));
    expect(requests().sort()).toEqual([`GET ${path(names[0])}`, LIST].sort()); // sent at the same time
    fake.requests.length = 0;
    for (const n of names) expect(await diff(n)).toEqual({ changes: false });
    expect(requests()).toEqual([]); // each diff straight after its read takes that read's object
  });

  it("a refresh's diff takes its read's object even when it comes many seconds later (1,000 reads at once), not after a write", async () => {
    let clock = Date.now();
    const now = jest.spyOn(Date, "now").mockImplementation(() => clock);
    try {
      await Promise.all(names.map((n) => profiles.read(path(n), state(n))));
      fake.requests.length = 0;
      clock += 10_000; // a busy machine: the diffs come long after the reads
      for (const n of names.slice(0, 3)) expect(await diff(n)).toEqual({ changes: false });
      expect(requests()).toEqual([]);
      await readCache.writing(async () => undefined); // this process wrote something: what was read may be stale
      expect(await diff(names[3])).toEqual({ changes: false });
      expect(requests()).toEqual([`GET ${path(names[3])}`]);
    } finally {
      now.mockRestore();
    }
  });

  it("sees drift made by hand after the list when the same object is read again (a list answers each object once)", async () => {
    await diff(names[0]);
    expect(await diff(names[1])).toEqual({ changes: false }); // answered by the list
    fake.set(path(names[1]), live(names[1], { config: { "limits.cpu": "3" } })); // `incus config set` by hand
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await diff(names[1])).toEqual({ changes: true });
    } finally {
      log.mockRestore();
    }
    expect(requests()).toEqual([`GET ${path(names[0])}`, LIST, `GET ${path(names[1])}`]);
  });

  it("does not use a list older than MAX_AGE_MS", async () => {
    // The cache's clock is moved on by hand, so a loaded machine cannot make the first two reads look far apart.
    let clock = 0;
    ReadCache.clock = () => clock;
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      await diff(names[0]);
      await diff(names[1]); // list
      fake.set(path(names[2]), live(names[2], { config: { "limits.cpu": "3" } }));
      clock += ReadCache.MAX_AGE_MS + 1;
      expect(await diff(names[2])).toEqual({ changes: true });
    } finally {
      log.mockRestore();
    }
    expect(requests()).toEqual([`GET ${path(names[0])}`, LIST, `GET ${path(names[2])}`]);
  });

  it("keeps one list for a walk longer than MAX_AGE_MS whose reads follow each other closely (1,000 objects)", async () => {
    let clock = 0;
    ReadCache.clock = () => clock;
    for (const n of names) {
      expect(await diff(n)).toEqual({ changes: false });
      clock += ReadCache.MAX_AGE_MS * 0.75; // the whole walk takes several times MAX_AGE_MS
    }
    expect(requests()).toEqual([`GET ${path(names[0])}`, LIST]);
  });

  it("measures a pause by the time the process waited idle, not the time it spent answering (a starved process)", async () => {
    ReadCache.MAX_AGE_MS = 300; // short, so the test is
    // What the default clock reads: it stands still while the process works, however long that takes in wall time.
    const before = ReadCache.clock();
    const busyUntil = Date.now() + 3 * ReadCache.MAX_AGE_MS;
    while (Date.now() < busyUntil); // answering a batch on a tenth of a CPU
    expect(ReadCache.clock() - before).toBeLessThan(ReadCache.MAX_AGE_MS);
    // A refresh's reads when the provider is slow: answers for the first ones keep it busy for seconds while the next
    // reads wait in its queue; they still belong to the walk the list answers.
    await Promise.all(names.slice(0, 3).map((n) => profiles.read(path(n), state(n))));
    const spin = Date.now() + 2 * ReadCache.MAX_AGE_MS;
    while (Date.now() < spin);
    await Promise.all(names.slice(3).map((n) => profiles.read(path(n), state(n))));
    expect(requests().sort()).toEqual([`GET ${path(names[0])}`, LIST].sort());
  });

  it("drops every list when this process writes: later reads see the write and what changed meanwhile", async () => {
    await diff(names[0]);
    await diff(names[1]); // list
    fake.set(path(names[2]), live(names[2], { config: { "limits.cpu": "3" } })); // by hand, after the list
    await profiles.update(path(names[3]), state(names[3]), state(names[3], { config: { "limits.cpu": "4" } }));
    fake.requests.length = 0;
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await diff(names[2])).toEqual({ changes: true });
      expect(await diff(names[3])).toEqual({ changes: true }); // the stored "2" against our own write of "4"
    } finally {
      log.mockRestore();
    }
    expect(requests()).toEqual([`GET ${path(names[2])}`, LIST]); // reading starts over after a write
  });

  it("confirms with a GET an object the list does not hold, so re-creating is never decided from a list", async () => {
    fake.remove(path(names[2])); // deleted by hand
    await diff(names[0]);
    await diff(names[1]); // list
    expect(await diff(names[2])).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
    // Created by someone after the list: the GET finds it.
    const late = `r${run}late`;
    fake.set(path(late), live(late));
    expect(await diff(late)).toEqual({ changes: false });
    expect(requests()).toEqual([`GET ${path(names[0])}`, LIST, `GET ${path(names[2])}`, `GET ${path(late)}`]);
  });

  it("one object read again and again is a GET each time, never a list", async () => {
    for (let i = 0; i < 4; i++) await diff(names[0]);
    expect(requests()).toEqual(Array(4).fill(`GET ${path(names[0])}`));
  });
});

describe("ReadCache on its own", () => {
  const one = (name: string) => async () => ({ name, from: "get" });

  it("a list still in flight when a write starts answers nobody: its reads fall back to GETs", async () => {
    const cache = new ReadCache();
    await cache.read("c", "a", one("a"), async () => []);
    let release!: (items: State[]) => void;
    const pending = cache.read("c", "b", one("b"), () => new Promise((r) => (release = r)));
    const wrote = cache.writing(async () => undefined);
    release([{ name: "b", from: "list" }]);
    await wrote;
    expect(await pending).toEqual({ name: "b", from: "get" });
  });

  it("makes no list while a write is in flight", async () => {
    const cache = new ReadCache();
    const lists = jest.fn(async () => [{ name: "b", from: "list" }]);
    let finish!: () => void;
    const writing = cache.writing(() => new Promise<void>((r) => (finish = r)));
    expect(await cache.read("c", "a", one("a"), lists)).toEqual({ name: "a", from: "get" });
    expect(await cache.read("c", "b", one("b"), lists)).toEqual({ name: "b", from: "get" });
    finish();
    await writing;
    expect(lists).not.toHaveBeenCalled();
  });

  it("hands out copies, so one caller cannot change what another reads", async () => {
    const cache = new ReadCache();
    await cache.read("c", "a", one("a"), async () => []);
    const items = [
      { name: "b", config: { k: "1" } },
      { name: "c", config: { k: "1" } },
    ];
    const b = (await cache.read("c", "b", one("b"), async () => items)) as { config: Record<string, string> };
    b.config.k = "changed";
    expect(items[0].config.k).toBe("1");
  });
});

describe("deletes under way at once share their ownership read (SharedReads)", () => {
  const MARK = "user.pulumi-incus.stack";
  const owner = "o/p/s/id::urn:pulumi:s::p::incus:Profile::x";
  const claimed = (name: string, claim: string) => live(name, { config: { [MARK]: `${owner} #${claim}` } });
  const ours = (name: string, claim = "aaaaaaaaaaaa") => state(name, { __claim: claim });

  it("a destroy of many at once: one list (and at most one GET, for a first that came alone), a DELETE each", async () => {
    const many = Array.from({ length: 20 }, (_, i) => `r${run}d${i}`);
    for (const n of many) fake.set(path(n), claimed(n, "aaaaaaaaaaaa"));
    await Promise.all(many.map((n) => profiles.delete(path(n), ours(n))));
    const sent = requests();
    expect(sent.filter((r) => r.startsWith("DELETE")).sort()).toEqual(many.map((n) => `DELETE ${path(n)}`).sort());
    expect(sent.filter((r) => r === LIST)).toHaveLength(1);
    expect(sent.filter((r) => r.startsWith("GET") && r !== LIST).length).toBeLessThanOrEqual(1);
    for (const n of many) expect(fake.get(path(n))).toBeUndefined();
  });

  it("leaves the objects a newer create took over, however many deletes share the read", async () => {
    const many = Array.from({ length: 12 }, (_, i) => `r${run}t${i}`);
    for (const [i, n] of many.entries()) fake.set(path(n), claimed(n, i % 3 === 0 ? "bbbbbbbbbbbb" : "aaaaaaaaaaaa"));
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      await Promise.all(many.map((n) => profiles.delete(path(n), ours(n))));
    } finally {
      log.mockRestore();
    }
    for (const [i, n] of many.entries()) expect(fake.get(path(n)) !== undefined).toBe(i % 3 === 0);
    expect(requests().filter((r) => r.startsWith("GET")).length).toBeLessThanOrEqual(2);
  });

  it("never answers a delete with a read sent before it began: a takeover made meanwhile is seen", async () => {
    const cache = new SharedReads();
    let release!: (v: State) => void;
    const first = cache.read(
      "c",
      "a",
      () => new Promise((r) => (release = r)),
      async () => [],
    );
    await new Promise((r) => setImmediate(r)); // the first read is on its way
    // A takeover lands now; a delete that begins after it must not get the read already sent.
    const lists = jest.fn(async () => [{ name: "b", claim: "new" }]);
    const gets = jest.fn(async () => ({ name: "b", claim: "new" }));
    const second = cache.read("c", "b", gets, lists);
    release({ name: "a", claim: "old" });
    expect(await first).toEqual({ name: "a", claim: "old" });
    expect(await second).toEqual({ name: "b", claim: "new" });
    expect(gets).toHaveBeenCalledTimes(1); // sent after the first returned, for it alone
  });

  it("a few at once are each their own GET; an error is its own object's only", async () => {
    const cache = new SharedReads();
    const lists = jest.fn(async () => []);
    const reads = ["a", "b", "c"].map((n) =>
      cache
        .read(
          "c",
          n,
          async () => {
            if (n === "b") throw new Error("b failed");
            return { name: n };
          },
          lists,
        )
        .catch((e: Error) => e.message),
    );
    expect(await Promise.all(reads)).toEqual([{ name: "a" }, "b failed", { name: "c" }]);
    expect(lists).not.toHaveBeenCalled();
  });

  it("lists only when the deletes waiting together are a fair share of the collection", async () => {
    const cache = new SharedReads();
    const big = Array.from({ length: 1000 }, (_, i) => ({ name: `o${i}` }));
    const lists = jest.fn(async () => big);
    const one = (n: string) => async () => ({ name: n, from: "get" });
    await Promise.all(big.slice(0, 20).map((o) => cache.read("c", o.name, one(o.name), lists)));
    expect(lists).toHaveBeenCalledTimes(1); // 1,000 known now
    const got = await Promise.all(big.slice(20, 26).map((o) => cache.read("c", o.name, one(o.name), lists)));
    expect(lists).toHaveBeenCalledTimes(1); // 6 of 1,000: their own GETs
    expect(got.every((g) => (g as State).from === "get")).toBe(true);
  });
});

describe("checks and creates under way at once share the read of their project", () => {
  it("20 creates in a project with features.profiles send one GET of the project, not one each", async () => {
    const project = `r${run}proj`;
    fake.set(`/1.0/projects/${project}`, { name: project, config: { "features.profiles": "true" } });
    const many = Array.from({ length: 20 }, (_, i) => `r${run}c${i}`);
    await Promise.all(many.map((n) => profiles.create({ ...state(n), project })));
    const sent = requests();
    expect(sent.filter((r) => r.startsWith(`GET /1.0/projects/${project}`))).toHaveLength(1);
    expect(sent.filter((r) => r.startsWith("POST"))).toHaveLength(20);
    for (const n of many) fake.remove(`/1.0/profiles/${n}`);
  });

  it("a create that begins after the project's read was sent gets a read of its own (a feature turned off meanwhile is seen)", async () => {
    const project = `r${run}proj2`;
    fake.set(`/1.0/projects/${project}`, { name: project, config: { "features.profiles": "true" } });
    const first = profiles.create({ ...state(`r${run}e0`), project });
    // Its read of the project has reached the server (which answers as it records); then the feature goes off.
    while (!requests().some((r) => r.startsWith(`GET /1.0/projects/${project}`))) await new Promise((r) => setTimeout(r, 1));
    fake.set(`/1.0/projects/${project}`, { name: project, config: { "features.profiles": "false" } });
    const second = profiles.create({ ...state(`r${run}e1`), project }).then(
      () => "created",
      (e: Error) => e.message,
    );
    await first;
    expect(await second).toMatch(/has features.profiles turned off/);
    fake.remove(`/1.0/profiles/r${run}e0`);
  });
});
