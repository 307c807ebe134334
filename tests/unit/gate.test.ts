// The bound on resource calls working at once (provider/client/gate.ts): never more than CALL_SLOTS, a call that
// waits lends its slot out, nested calls use their caller's slot, and every slot comes back whatever the call did.
import { setTimeout as sleep } from "node:timers/promises";
import { CALL_SLOTS, inSlot, lendingSlot, slotsInUse } from "../../provider/client/gate";

afterEach(() => expect(slotsInUse()).toEqual({ active: 0, waiting: 0 }));

function counter() {
  let now = 0;
  let peak = 0;
  return {
    async work(ms: number) {
      now++;
      peak = Math.max(peak, now);
      try {
        await sleep(ms);
      } finally {
        now--;
      }
    },
    get peak() {
      return peak;
    },
  };
}

it("runs at most CALL_SLOTS calls at once; the rest wait for a slot and all complete", async () => {
  const c = counter();
  const results = await Promise.all(Array.from({ length: CALL_SLOTS * 3 }, (_, i) => inSlot(async () => (await c.work(5), i))));
  expect(results).toEqual(Array.from({ length: CALL_SLOTS * 3 }, (_, i) => i));
  expect(c.peak).toBe(CALL_SLOTS);
});

it("a call that waits lends its slot: calls waiting on something that only a later call brings do not deadlock", async () => {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  // Every slot is taken by a call that waits until the last call (queued behind them all) opens the gate.
  const waiters = Array.from({ length: CALL_SLOTS * 2 }, () => inSlot(() => lendingSlot(() => gate)));
  const opener = inSlot(async () => open());
  const timeout = new AbortController();
  const deadlock = sleep(5_000, undefined, { signal: timeout.signal }).then(() => Promise.reject(new Error("deadlock: the last call never got a slot")));
  deadlock.catch(() => undefined);
  try {
    await Promise.race([Promise.all([...waiters, opener]), deadlock]);
  } finally {
    timeout.abort();
  }
});

it("a call coming back from a wait goes before calls that have not started", async () => {
  const order: string[] = [];
  let finish!: () => void;
  const waited = new Promise<void>((r) => (finish = r));
  const back = inSlot(async () => {
    await lendingSlot(() => waited);
    order.push("back");
  });
  await sleep(1);
  const fresh = Array.from({ length: CALL_SLOTS + 5 }, (_, i) =>
    inSlot(async () => {
      await sleep(10);
      order.push(`fresh${i}`);
    }),
  );
  await sleep(1);
  finish();
  await Promise.all([back, ...fresh]);
  // The first CALL_SLOTS fresh calls were already running; the one coming back came before the 5 still queued.
  expect(order.indexOf("back")).toBeLessThanOrEqual(CALL_SLOTS);
});

it("nested calls run in their caller's slot (no deadlock when every slot is taken by callers)", async () => {
  const results = await Promise.all(Array.from({ length: CALL_SLOTS }, (_, i) => inSlot(() => inSlot(async () => i))));
  expect(results).toHaveLength(CALL_SLOTS);
});

it("gives the slot back when the call fails, and when a wait it did not await ends after it", async () => {
  await expect(inSlot(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  let late!: Promise<void>;
  await inSlot(async () => {
    late = lendingSlot(() => sleep(20));
  });
  await late;
  expect(slotsInUse().active).toBe(0);
});
