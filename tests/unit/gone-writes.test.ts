// Writes whose operation was gone before their end was read (provider/client/update.ts), without a daemon: the object
// read back says whether the write happened (done), did not (sent once more, still guarded by the ETag), or cannot be
// told (a clear failure); a gone operation on a daemon that may have restarted keeps today's "outcome unknown".
import { IncusError, outcomeUnknown } from "../../provider/client/errors";
import { guardedUpdate, settledWrite } from "../../provider/client/update";

type Obj = { config: Record<string, string> };

/** The write's operation ended unseen: Incus answered 202 and then forgot the operation. */
function gone(restartPossible = false): IncusError {
  const err = new IncusError(404, "its operation op-1 ended before its outcome could be read", "PUT", "/1.0/instances/c1");
  err.accepted = true;
  err.operationGone = true;
  err.restartPossible = restartPossible;
  return err;
}

/**
 * An object store whose PUTs can be scripted: `onPut` decides what each PUT does to the object (apply it or not) and
 * whether its answer is lost (the operation gone).
 */
function store(initial: Obj, onPut: (n: number, body: Obj) => { apply: boolean; lose?: boolean; restartPossible?: boolean; other?: Obj }) {
  let value = structuredClone(initial);
  let etag = 1;
  const puts: { body: Obj; etag?: string }[] = [];
  const client = {
    get: async <T>() => ({ value: structuredClone(value) as unknown as T, etag: `e${etag}`, status: 200 }),
    put: async (_path: string, body: unknown, opts: { etag?: string }) => {
      if (opts.etag !== `e${etag}`) throw new IncusError(412, "ETag doesn't match", "PUT", "/1.0/instances/c1");
      puts.push({ body: body as Obj, etag: opts.etag });
      const what = onPut(puts.length, body as Obj);
      if (what.apply) {
        value = structuredClone(body as Obj);
        etag++;
      }
      if (what.other) {
        value = structuredClone(what.other);
        etag++;
      }
      if (what.lose) throw gone(what.restartPossible);
      return {};
    },
  };
  return { client, puts, value: () => value };
}

const want = (v: string) => (live: Obj) => (live.config.x === v ? undefined : { config: { ...live.config, x: v } });

test("applied before its operation was gone: done, nothing sent again", async () => {
  const s = store({ config: { x: "1" } }, () => ({ apply: true, lose: true }));
  expect(await guardedUpdate(s.client, "/1.0/instances/c1", want("2"), {})).toEqual({ written: true, attempts: 1 });
  expect(s.puts).toHaveLength(1);
  expect(s.value().config.x).toBe("2");
});

test("not applied (the object as it was): sent once more, guarded by the ETag read back", async () => {
  const s = store({ config: { x: "1", other: "kept" } }, (n) => ({ apply: n === 2, lose: n === 1 }));
  expect(await guardedUpdate(s.client, "/1.0/instances/c1", want("2"), {})).toEqual({ written: true, attempts: 2 });
  expect(s.puts.map((p) => p.etag)).toEqual(["e1", "e1"]);
  expect(s.value().config).toEqual({ x: "2", other: "kept" });
});

test("not applied twice: fails saying so and what to do, as an outcome not known", async () => {
  const s = store({ config: { x: "1" } }, () => ({ apply: false, lose: true }));
  const err = await guardedUpdate(s.client, "/1.0/instances/c1", want("2"), {}).catch((e) => e);
  expect(s.puts).toHaveLength(2);
  expect(err.message).toMatch(/sent again, and the object still does not have what it asks for/);
  expect(err.message).toMatch(/pulumi refresh/);
  expect(outcomeUnknown(err)).toBe(true);
  expect(err.operationGone).toBe(false);
});

test("neither the old values nor the asked ones (another writer, or applied in part): fails, nothing sent again", async () => {
  const s = store({ config: { x: "1" } }, () => ({ apply: false, lose: true, other: { config: { x: "3" } } }));
  const err = await guardedUpdate(s.client, "/1.0/instances/c1", want("2"), {}).catch((e) => e);
  expect(s.puts).toHaveLength(1);
  expect(err.message).toMatch(/the object now has neither what it had nor what was asked/);
});

test("a gone operation on a daemon that may have restarted is left as it was: outcome unknown, no read back", async () => {
  const s = store({ config: { x: "1" } }, () => ({ apply: true, lose: true, restartPossible: true }));
  const err = await guardedUpdate(s.client, "/1.0/instances/c1", want("2"), {}).catch((e) => e);
  expect(s.puts).toHaveLength(1);
  expect(err.operationGone).toBe(true);
  expect(err.restartPossible).toBe(true);
});

test("settledWrite: done, sent once more, or failed, as the object says", async () => {
  let sends = 0;
  const send = (lose: number) => async () => {
    sends++;
    if (sends <= lose) throw gone();
  };
  sends = 0;
  await settledWrite(send(1), async () => true);
  expect(sends).toBe(1);
  sends = 0;
  await settledWrite(send(1), async () => sends !== 1);
  expect(sends).toBe(2);
  sends = 0;
  const twice = await settledWrite(send(2), async () => false).catch((e) => e);
  expect([sends, twice.message]).toEqual([2, expect.stringMatching(/sent again, and the object still does not have/)]);
  sends = 0;
  const unknown = await settledWrite(send(1), async () => undefined).catch((e) => e);
  expect([sends, unknown.message]).toEqual([1, expect.stringMatching(/neither what it had nor what was asked/)]);
  // Any other failure is the write's own.
  const plain = await settledWrite(
    async () => {
      throw new IncusError(400, "bad", "POST", "/x");
    },
    async () => true,
  ).catch((e) => e);
  expect(plain.message).toMatch(/bad/);
});
