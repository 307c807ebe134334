// incusd SIGKILLed in the middle of `pulumi up` (during creates, during a stop-change-start, during an image upload),
// or hung (SIGSTOP) with a user-set timeout; then started again. The next `up` must converge with no manual step:
// every declared object exists exactly once, nothing else is left in the project, state and server agree (a no-op
// `up` sends no write), and `destroy` removes everything. Runs against a dedicated daemon (daemon.ts).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FaultDaemon, TEST_IMAGE_ALIAS, RUN } from "./daemon";
import { type Declared, FaultStack, incusResources } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("daemon-kill");
const P = `faults-${RUN}`;
const N = 10;

function declared(extraConfig: Record<string, string> = {}): Declared[] {
  const out: Declared[] = [];
  for (let i = 0; i < N; i++) {
    out.push({ kind: "Profile", name: `prof${i}`, args: { project: P, name: `prof${i}`, config: { "user.n": String(i) } } });
    out.push({ kind: "StorageVolume", name: `vol${i}`, args: { project: P, name: `vol${i}`, pool: "default" } });
    out.push({
      kind: "Instance",
      name: `inst${i}`,
      args: {
        project: P,
        name: `inst${i}`,
        image: TEST_IMAGE_ALIAS,
        profiles: ["default", `$ref:prof${i}.name`],
        devices: { data: { type: "disk", pool: "default", source: `$ref:vol${i}.name`, path: "/data" } },
        config: { "user.role": "web", ...extraConfig },
      },
    });
  }
  return out;
}

/** Names of the objects in the project, by kind, sorted (the default profile aside). */
function serverObjects() {
  const names = (list: { name: string }[] | null) => (list ?? []).map((o) => o.name).sort();
  return {
    instances: names(daemon.query(`/1.0/instances?recursion=1&project=${P}`)),
    profiles: names(daemon.query(`/1.0/profiles?recursion=1&project=${P}`)).filter((n) => n !== "default"),
    volumes: names(
      (daemon.query<{ name: string; type: string }[]>(`/1.0/storage-pools/default/volumes?recursion=1&project=${P}`) ?? []).filter((v) => v.type === "custom"),
    ),
  };
}

const expected = () => ({
  instances: Array.from({ length: N }, (_, i) => `inst${i}`).sort(),
  profiles: Array.from({ length: N }, (_, i) => `prof${i}`).sort(),
  volumes: Array.from({ length: N }, (_, i) => `vol${i}`).sort(),
});

/** State and server agree: each declared resource recorded once, no init errors or pending operations. */
async function expectConverged(s: FaultStack, resources: number) {
  const state = await s.state();
  const recorded = incusResources(state);
  expect(recorded).toHaveLength(resources);
  expect(new Set(recorded.map((r) => r.urn)).size).toBe(resources);
  expect(recorded.filter((r) => r.initErrors?.length)).toEqual([]);
  expect(state.pending).toEqual([]);
  // Every recorded resource carries what the dynamic provider needs to run later (refresh, destroy).
  expect(recorded.filter((r) => typeof r.outputs?.__provider !== "string").map((r) => r.urn)).toEqual([]);
  // A second up with no edits changes nothing and sends no write.
  s.clearRequests();
  const noop = await s.mustRun("up");
  expect(s.writes()).toEqual([]);
  expect(noop.output).not.toMatch(/\b(created|updated|replaced|deleted)\b/);
}

let s: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=true", "-c", "features.storage.volumes=true");
  daemon.incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", P);
  s = await FaultStack.create(daemon.socket);
});

afterAll(async () => {
  await s?.remove();
  await daemon.destroy();
});

test("killed during the creates of a 30-resource stack: the next up converges", async () => {
  await s.declare(declared());
  const up = s.start("up");
  // Strike once Incus has accepted a few instance creates (others are in flight or not sent yet).
  await s.waitForRequests(/^POST \/1\.0\/instances\?project=/, 3, up);
  await daemon.kill();
  // Started again at once, as an init system would: requests not sent meanwhile wait for it and go through; the
  // creates in flight lost their answer.
  await daemon.start();
  const failed = await up.done;
  expect(failed.code).not.toBe(0);
  expect(failed.output).toMatch(/the create may or may not have happened/);

  const again = await s.run("up");
  if (again.code !== 0) throw new Error(again.output.slice(-5000));
  expect(again.output).not.toMatch(/already exists/);
  expect(serverObjects()).toEqual(expected());
  for (const inst of daemon.query<{ name: string; status: string }[]>(`/1.0/instances?recursion=1&project=${P}`)!) expect(inst.status).toBe("Running");
  await expectConverged(s, 3 * N);
});

test("killed during a stop-change-start of the instances: the next up converges", async () => {
  // security.nesting only applies at start: each instance is stopped, changed and started again.
  await s.declare(declared({ "security.nesting": "true" }));
  s.clearRequests();
  const up = s.start("up");
  await s.waitForRequests(/^PUT \/1\.0\/instances\/inst\d+\/state\?project=/, 4, up);
  await daemon.kill();
  await daemon.start();
  // The up may fail, or see it through itself: a stop whose operation died with the daemon is not known to have
  // happened, and the provider then stops the instance by force (as for a guest that ignores the shutdown request).
  await up.done;

  await s.mustRun("up");
  expect(serverObjects()).toEqual(expected());
  for (const inst of daemon.query<{ name: string; status: string; config: Record<string, string> }[]>(`/1.0/instances?recursion=1&project=${P}`)!) {
    expect([inst.name, inst.status, inst.config["security.nesting"]]).toEqual([inst.name, "Running", "true"]);
  }
  await expectConverged(s, 3 * N);
});

test("killed during an image upload: the next up uploads it once and the instances use it", async () => {
  // An image big enough that the kill lands while it is sent or unpacked.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pi-faults-img-"));
  const tarball = path.join(dir, "big.tar.gz");
  const rootfs = path.join(dir, "image", "rootfs");
  fs.mkdirSync(rootfs, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz"), "-C", path.join(dir, "image")]);
  fs.writeFileSync(path.join(rootfs, "ballast"), execFileSync("head", ["-c", String(48 << 20), "/dev/urandom"], { maxBuffer: 64 << 20 }));
  execFileSync("tar", ["-C", path.join(dir, "image"), "-czf", tarball, "metadata.yaml", "rootfs"]);
  const resources: Declared[] = [
    // P shares the default project's images (features.images off): the image is the default project's.
    { kind: "Image", name: "big", args: { project: "default", file: tarball, aliases: ["faults/big"] } },
    ...[0, 1].map((i) => ({
      kind: "Instance",
      name: `fromimg${i}`,
      args: { project: P, name: `fromimg${i}`, image: "$ref:big.fingerprint", profiles: ["default"] },
    })),
  ];
  await s.declare([...declared(), ...resources]);
  s.clearRequests();
  const up = s.start("up");
  await s.waitForRequests(/^POST \/1\.0\/images(\?|\s|$)/, 1, up);
  await new Promise((r) => setTimeout(r, 150));
  await daemon.kill();
  await daemon.start();
  expect((await up.done).code).not.toBe(0);

  const again = await s.run("up");
  if (again.code !== 0) throw new Error(again.output.slice(-5000));
  const images = daemon.query<{ fingerprint: string; aliases: { name: string }[] }[]>(`/1.0/images?recursion=1&project=${P}`)!;
  // The project shares the default project's images: the test image plus exactly one copy of ours.
  const ours = images.filter((i) => i.aliases.some((a) => a.name === "faults/big"));
  expect(ours).toHaveLength(1);
  expect(images).toHaveLength(2);
  expect(serverObjects()).toEqual({ ...expected(), instances: [...expected().instances, "fromimg0", "fromimg1"].sort() });
  await expectConverged(s, 3 * N + 3);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("a hung daemon (SIGSTOP) fails the up within incus:timeout; once it runs again the next up converges", async () => {
  await s.stack.setConfig("incus:timeout", { value: "8" });
  const hung: Declared[] = [0, 1, 2].map((i) => ({
    kind: "Instance",
    name: `hung${i}`,
    args: { project: P, name: `hung${i}`, image: TEST_IMAGE_ALIAS, profiles: ["default"] },
  }));
  await s.declare([...declared(), ...hung]);
  s.clearRequests();
  const up = s.start("up");
  await s.waitForRequests(/^POST \/1\.0\/instances\?project=/, 1, up);
  process.kill(daemon.pid!, "SIGSTOP");
  let failed;
  try {
    failed = await up.done;
  } finally {
    process.kill(daemon.pid!, "SIGCONT");
  }
  expect(failed.code).not.toBe(0);
  expect(failed.output).toMatch(/did not (answer|finish) within 8/);
  // Bounded by the timeout, not by the daemon (which never answered): a few timeouts in sequence at most.
  expect(failed.seconds).toBeLessThan(90);

  await s.mustRun("up");
  expect(serverObjects()).toEqual({ ...expected(), instances: [...expected().instances, "hung0", "hung1", "hung2"].sort() });
  await expectConverged(s, 3 * N + 3);
  await s.stack.removeConfig("incus:timeout");
});

test("destroy after all that removes every object", async () => {
  await s.mustRun("destroy");
  expect(serverObjects()).toEqual({ instances: [], profiles: [], volumes: [] });
  const images = daemon.query<unknown[]>(`/1.0/images?project=${P}`)!;
  expect(images).toHaveLength(1); // the test image only
});
