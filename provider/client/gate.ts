// How many resource calls of this process do their work at once. The Pulumi engine hands a provider as many calls as
// `--parallel` allows (1,000 creates at once for a large stack), while the endpoint's pool sends 16 requests at a
// time: the other calls only wait in its queue, each with its half-done work alive, and a provider running 1,000 of
// them at once grew ~60 MiB larger than one running a few dozen (docs/performance.md, "Memory"). A call holds a slot
// while it works and lends it out while it waits for an operation or a guest, so a call that waits never holds others
// up. It cannot deadlock: nothing a slot holder waits for needs a slot (requests, operations, timers), and a call run
// inside another's slot (a nested engine call) uses that slot.
import { AsyncLocalStorage } from "node:async_hooks";

/** Twice the pool's connections: enough to keep the pool busy while some calls are between requests. */
export const CALL_SLOTS = 32;

interface Slot {
  /** The call holds its slot now (false while it lends it out). */
  held: boolean;
  /** The call has returned: a wait still running on its behalf takes no slot back. */
  done: boolean;
}

const current = new AsyncLocalStorage<Slot>();
let active = 0;
/** Calls waiting for a slot; calls coming back from a wait go first (they hold more of their work, and finish sooner). */
const queue: Array<() => void> = [];

function acquire(first = false): Promise<void> {
  if (active < CALL_SLOTS) {
    active++;
    return Promise.resolve();
  }
  // The slot is handed over as it is (active stays the same), so nobody can take it in between.
  return new Promise<void>((resolve) => (first ? queue.unshift(resolve) : queue.push(resolve)));
}

function release(): void {
  const next = queue.shift();
  if (next) next();
  else active--;
}

/** Runs one resource call in a slot (in the caller's when it already holds one). */
export async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (current.getStore()?.done === false) return work();
  await acquire();
  const slot: Slot = { held: true, done: false };
  try {
    return await current.run(slot, work);
  } finally {
    slot.done = true;
    if (slot.held) {
      slot.held = false;
      release();
    }
  }
}

/** Waits without holding the caller's slot (an operation, a guest): the slot goes to another call meanwhile. */
export async function lendingSlot<T>(wait: () => Promise<T>): Promise<T> {
  const slot = current.getStore();
  if (!slot?.held) return wait();
  slot.held = false;
  release();
  try {
    return await wait();
  } finally {
    if (!slot.done && !slot.held) {
      await acquire(true);
      // The call may have returned meanwhile (a wait it did not await): then the slot goes straight back.
      if (slot.done) release();
      else slot.held = true;
    }
  }
}

/** Slots in use and calls waiting for one (tests). */
export function slotsInUse(): { active: number; waiting: number } {
  return { active, waiting: queue.length };
}
