// The bound on resource calls working at once (provider/client/gate.ts) against the real daemon: calls that wait for
// Incus operations lend their slots out, so twice as many calls as there are slots, all waiting on operations that
// end only when one more call (queued behind them all) has done its part, still complete: no deadlock.
import { closeAllPools, IncusClient } from "../../provider/client";
import { CALL_SLOTS, inSlot, slotsInUse } from "../../provider/client/gate";
import { createProject, dropProject, IMAGE_ALIAS, unique } from "./client-helpers";

jest.setTimeout(120_000);

const client = new IncusClient();
const project = unique("slots");
const guest = "g";

beforeAll(async () => {
  await createProject(client, project, { "features.images": "false" });
  await client.update<{ devices: Record<string, unknown> }>(
    "/1.0/profiles/default",
    (live) => ({ ...live, devices: { ...live.devices, root: { type: "disk", path: "/", pool: "default" } } }),
    { project },
  );
  await client.post("/1.0/instances", { name: guest, source: { type: "image", alias: IMAGE_ALIAS }, start: true }, { project });
});

afterAll(async () => {
  await dropProject(client, project);
  await closeAllPools();
});

test("more calls than slots, each waiting on an operation that a later call ends, all complete", async () => {
  const waiting = CALL_SLOTS * 2;
  // Each exec runs until the file appears: its operation cannot end before the last call has run.
  const waiter = (i: number) =>
    inSlot(() =>
      client.post(
        `/1.0/instances/${guest}/exec`,
        { command: ["sh", "-c", `while [ ! -e /tmp/go ]; do sleep 0.2; done; echo ${i}`], "wait-for-websocket": false, interactive: false, "record-output": false },
        { project, timeoutMs: 90_000 },
      ),
    );
  const waiters = Array.from({ length: waiting }, (_, i) => waiter(i));
  // The last call queues behind all of them for a slot; it gets one only because the waiting calls lent theirs.
  let queued = false;
  const opener = inSlot(async () => {
    queued = true;
    await client.upload(`/1.0/instances/${guest}/files?path=/tmp/go`, Buffer.from("go"), { project, headers: { "x-incus-type": "file" } });
  });
  const results = await Promise.all(waiters);
  await opener;
  expect(queued).toBe(true);
  expect(results.every((r) => r.operation?.status_code === 200)).toBe(true);
  expect(slotsInUse()).toEqual({ active: 0, waiting: 0 });
});
