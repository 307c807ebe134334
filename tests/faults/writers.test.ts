// Several writers on the same objects at once: two stacks, each managing its own key of a shared profile and a
// shared storage volume (both adopted), and a shell loop of `incus profile set` / `incus storage volume set` writing a
// third key. Every PUT is guarded by If-Match; a 412 makes the writer read again and retry (bounded, with jitter).
// Afterwards every writer's last value is there: no update was lost. Runs against a dedicated daemon (daemon.ts).
import { spawn } from "node:child_process";
import { FaultDaemon } from "./daemon";
import { type Declared, FaultStack } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("writers");
const P = "writers";
const ROUNDS = 4;
const LOOP = 60;

function program(key: string, value: string): Declared[] {
  return [
    { kind: "Profile", name: "shared", args: { project: P, name: "shared", adopt: true, config: { [key]: value } } },
    { kind: "StorageVolume", name: "sharedvol", args: { project: P, name: "sharedvol", pool: "default", adopt: true, config: { [key]: value } } },
  ];
}

let a: FaultStack;
let b: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.profiles=true", "-c", "features.storage.volumes=true");
  daemon.incus("profile", "create", "shared", "--project", P);
  daemon.incus("storage", "volume", "create", "default", "sharedvol", "--project", P);
  [a, b] = await Promise.all([FaultStack.create(daemon.socket), FaultStack.create(daemon.socket)]);
});

afterAll(async () => {
  // The objects are shared: the stacks are dropped without destroying them.
  await Promise.all([a?.remove(), b?.remove()]);
  await daemon.destroy();
});

test("two stacks and a shell loop writing the same objects lose no update", async () => {
  // The shell loop: the incus CLI also sends If-Match, so it never overwrites a stack's write either.
  const loop = spawn(
    "bash",
    [
      "-c",
      `for i in $(seq 1 ${LOOP}); do incus profile set shared user.loop=$i --project ${P} && incus storage volume set default sharedvol user.loop=$i --project ${P} || exit 1; done`,
    ],
    { env: { ...process.env, INCUS_DIR: daemon.dir }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let loopErr = "";
  loop.stderr.on("data", (d) => (loopErr += d));
  const loopDone = new Promise<number | null>((resolve) => loop.on("close", resolve));

  let puts = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    await Promise.all([a.declare(program("user.a", `a${round}`)), b.declare(program("user.b", `b${round}`))]);
    a.clearRequests();
    b.clearRequests();
    const [ra, rb] = await Promise.all([a.run("up"), b.run("up")]);
    if (ra.code !== 0) throw new Error(ra.output.slice(-3000));
    if (rb.code !== 0) throw new Error(rb.output.slice(-3000));
    puts += [...a.writes(), ...b.writes()].filter((w) => w.startsWith("PUT ")).length;
  }
  expect(await loopDone).toBe(0);
  expect(loopErr).toBe("");
  // Each round changes one key on two objects per stack: 4 PUTs, more when a 412 made a writer retry.
  expect(puts).toBeGreaterThanOrEqual(4 * ROUNDS);
  process.stderr.write(`writers: ${puts} PUTs for ${4 * ROUNDS} changes (the rest were retries after 412)\n`);

  for (const path of [`/1.0/profiles/shared?project=${P}`, `/1.0/storage-pools/default/volumes/custom/sharedvol?project=${P}`]) {
    const config = daemon.query<{ config: Record<string, string> }>(path)!.config;
    expect([path, config["user.a"], config["user.b"], config["user.loop"]]).toEqual([path, `a${ROUNDS}`, `b${ROUNDS}`, String(LOOP)]);
  }
  // Both stacks agree with the server: a no-op up sends no write.
  a.clearRequests();
  b.clearRequests();
  await Promise.all([a.mustRun("up"), b.mustRun("up")]);
  expect([...a.writes(), ...b.writes()]).toEqual([]);
});
