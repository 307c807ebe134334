// The race a compare-before-write guard is for (PUTs that ignore If-Match in Incus 6.0: forwards, peers, load
// balancers): another writer changes the object right after the update's own read, before its PUT. Shared by the
// suites of those kinds, with the guard on (the other writer's change survives) and off (it is lost).
import { IncusClient, type KindName, kinds } from "pulumi-incus/provider";
import type { Resource } from "./kinds-harness";

type State = Record<string, unknown>;

/** Runs `r.update(args)` with `write` done once, right after the update's first read of the object. */
export async function updateRacing(r: Resource, args: State, write: () => void): Promise<void> {
  const realGet = IncusClient.prototype.get;
  let armed = true;
  const spy = jest.spyOn(IncusClient.prototype, "get").mockImplementation(async function (this: IncusClient, p: string, ...rest: unknown[]) {
    const res = await (realGet as (...a: unknown[]) => Promise<unknown>).call(this, p, ...rest);
    if (armed && p === r.id.split("?")[0]) {
      armed = false;
      write();
    }
    return res as never;
  });
  try {
    await r.update(args);
  } finally {
    spy.mockRestore();
  }
  expect(armed).toBe(false);
}

/** Runs `fn` with the kind's compare-before-write guard off, to show what it prevents. */
export async function withoutGuard(kind: KindName, fn: () => Promise<void>): Promise<void> {
  const put = (kinds[kind] as { put: { ignoresIfMatch?: boolean } }).put;
  put.ignoresIfMatch = false;
  try {
    await fn();
  } finally {
    put.ignoresIfMatch = true;
  }
}
