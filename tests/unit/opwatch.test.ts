// Waiting for operations (provider/client/opwatch.ts, operations.ts) without a daemon: events routed by operation id
// and handed over once a request's answer names its operation, the first final state sticking, nothing kept once no
// request is unanswered, and an operation the server no longer has (404) settled by the stream or reported as gone.
import { IncusError, operationGone } from "../../provider/client/errors";
import type { EventHub } from "../../provider/client/events";
import { awaitOperation } from "../../provider/client/operations";
import { OperationRoutes, OperationWatch } from "../../provider/client/opwatch";
import type { Requester } from "../../provider/client/request";

function fakeHub() {
  const routes = new OperationRoutes();
  const hub = {
    routes,
    connected: true,
    addWatch: (w: OperationWatch) => routes.add(w),
    removeWatch: (w: OperationWatch, id: string | undefined) => routes.remove(w, id),
  };
  return { hub: hub as unknown as EventHub, routes };
}

const op = (id: string, status_code: number, extra: Record<string, unknown> = {}) => ({
  id,
  class: "task",
  description: "Creating instance",
  status: status_code === 200 ? "Success" : status_code === 103 ? "Running" : "Failure",
  status_code,
  err: status_code >= 400 ? "boom" : "",
  may_cancel: false,
  ...extra,
});

test("events that come before the request's answer are handed to the watch once it names its operation", async () => {
  const { hub, routes } = fakeHub();
  const a = new OperationWatch(hub);
  const b = new OperationWatch(hub);
  routes.dispatch(op("op-a", 103));
  routes.dispatch(op("op-a", 200));
  routes.dispatch(op("op-b", 103));
  expect((await a.next("op-a", undefined, 10))?.status_code).toBe(200);
  // b's operation has not ended: it waits for the next event, which is routed to it alone.
  const waiting = b.next("op-b", undefined, 5_000);
  routes.dispatch(op("op-a", 400));
  routes.dispatch(op("op-b", 200));
  expect((await waiting)?.id).toBe("op-b");
  expect(a.finalSeen?.status_code).toBe(200); // the first final state sticks
  a.close();
  b.close();
  expect(routes.watches.size).toBe(0);
});

test("nothing is kept once no request is unanswered", async () => {
  const { hub, routes } = fakeHub();
  const a = new OperationWatch(hub);
  routes.dispatch(op("op-x", 200));
  a.close(); // its request answered synchronously: no operation
  const late = new OperationWatch(hub);
  // op-x's end came while no request of this watch was out: it cannot be this watch's, and was not kept.
  expect(await late.next("op-x", undefined, 10)).toBeUndefined();
  late.close();
});

function requester(answer: (path: string) => unknown): Requester {
  return {
    request: async (_m: string, path: string) => {
      const a = answer(path);
      if (a instanceof Error) throw a;
      return { value: a, status: 200 };
    },
  } as unknown as Requester;
}

const notFound = (path: string) => new IncusError(404, "Operation not found", "GET", path);

test("a 404 for the operation is its end when the stream brought it meanwhile", async () => {
  const { hub, routes } = fakeHub();
  const w = new OperationWatch(hub);
  const r = requester((path) => {
    routes.dispatch(op("op-1", 200)); // the end arrives while the read is on its way
    return notFound(path);
  });
  const done = await awaitOperation(r, "op-1", op("op-1", 103), { timeoutMs: 10_000 }, w);
  expect(done.status_code).toBe(200);
  w.close();
});

test("a 404 for the operation with no end seen is operationGone: accepted, and not a missing object", async () => {
  const { hub } = fakeHub();
  const w = new OperationWatch(hub);
  const err = await awaitOperation(requester(notFound), "op-2", undefined, {}, w, { method: "POST", path: "/1.0/instances" }).catch((e) => e);
  expect(operationGone(err)).toBe(true);
  expect(err.accepted).toBe(true);
  expect(err.isNotFound).toBe(false);
  expect(err.message).toMatch(/^POST \/1\.0\/instances: its operation op-2 ended before its outcome could be read/);
  w.close();
  // Without a stream held from before the request, the daemon may have restarted (its operations die with it): not
  // one to settle from the object, and still not a missing object.
  const polled = await awaitOperation(requester(notFound), "op-3", op("op-3", 103), {}, undefined).catch((e) => e);
  expect([polled.operationGone, polled.restartPossible, operationGone(polled), polled.isNotFound, polled.accepted]).toEqual([true, true, false, false, true]);
});

const linkDown = (path: string) => new IncusError(500, "Missing event connection with target cluster member", "GET", path);

test("a member's 'Missing event connection' for the operation is asked again; a 404 then is operationGone", async () => {
  const { hub } = fakeHub();
  const w = new OperationWatch(hub);
  let reads = 0;
  const r = requester((path) => (++reads <= 2 ? linkDown(path) : notFound(path)));
  // Waiting on the stream, the operation is read when no end came for a while (4 s).
  const err = await awaitOperation(r, "op-4", op("op-4", 103), { timeoutMs: 30_000 }, w, { method: "PUT", path: "/1.0/instances/c1" }).catch((e) => e);
  expect(reads).toBe(3);
  expect(operationGone(err)).toBe(true);
  w.close();
  // Polled by /wait, the same: its end read once the link is back.
  reads = 0;
  const polled = requester((path) => (++reads <= 2 ? linkDown(path) : op("op-5", 200)));
  expect((await awaitOperation(polled, "op-5", op("op-5", 103), { timeoutMs: 30_000 }, undefined)).status_code).toBe(200);
}, 20_000);

test("a member that keeps answering 'Missing event connection' fails the wait within its time, with Incus's words", async () => {
  const r = requester(linkDown);
  const started = Date.now();
  const err = await awaitOperation(r, "op-6", op("op-6", 103), { timeoutMs: 1_500 }, undefined).catch((e) => e);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(err).toBeInstanceOf(IncusError);
  expect(err.message).toMatch(/Missing event connection|did not finish within/);
  expect(err.accepted).toBe(true);
});
