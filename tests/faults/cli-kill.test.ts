// With the default config (the owner mark on): the `pulumi` CLI interrupted in the middle of `up` (SIGINT then SIGKILL, or SIGKILL of its whole process group):
// Pulumi leaves pending CREATE operations in state and, in a non-interactive `up`, drops them with a warning. The
// objects those creates made carry this stack's owner marker, so the next `up` takes over exactly those, and an
// object someone else made under a declared name is still refused. Runs against a dedicated daemon (daemon.ts).
import { FaultDaemon, TEST_IMAGE_ALIAS, RUN } from "./daemon";
import { type Declared, FaultStack, incusResources, signalGroup, stackIdentities } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("cli-kill");
const P = `clikill-${RUN}`;
const N = 8;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function declared(prefix: string): Declared[] {
  const out: Declared[] = [];
  for (let i = 0; i < N; i++) {
    out.push({ kind: "Profile", name: `${prefix}p${i}`, args: { project: P, name: `${prefix}p${i}`, config: { "user.n": String(i) } } });
    out.push({
      kind: "Instance",
      name: `${prefix}i${i}`,
      args: { project: P, name: `${prefix}i${i}`, image: TEST_IMAGE_ALIAS, profiles: ["default", `$ref:${prefix}p${i}.name`] },
    });
  }
  return out;
}

function names(kind: "instances" | "profiles"): string[] {
  return (daemon.query<{ name: string }[]>(`/1.0/${kind}?recursion=1&project=${P}`) ?? [])
    .map((o) => o.name)
    .filter((n) => n !== "default")
    .sort();
}

/** The owner marks on the project's instances and profiles, without their `::Kind::name` part. */
function marks(): string[] {
  return (["instances", "profiles"] as const).flatMap((kind) =>
    (daemon.query<{ name: string; config: Record<string, string> }[]>(`/1.0/${kind}?recursion=1&project=${P}`) ?? [])
      .filter((o) => o.name !== "default")
      .map((o) => (o.config["user.pulumi-incus.stack"] ?? "").split("::")[0]),
  );
}

function expectedNames(prefixes: string[], kind: "i" | "p"): string[] {
  return prefixes.flatMap((p) => Array.from({ length: N }, (_, i) => `${p}${kind}${i}`)).sort();
}

async function expectConverged(s: FaultStack, resources: number) {
  let state = await s.state();
  let recorded = incusResources(state);
  expect(recorded).toHaveLength(resources);
  expect(recorded.filter((r) => r.initErrors?.length)).toEqual([]);
  // Pulumi 3.274 keeps a killed run's pending CREATE records in the checkpoint on purpose (they "require user
  // intervention") and warns about them on every up. Each names a resource the up above has since recorded, so the
  // records are stale; `refresh --clear-pending-creates` drops them (and, being a refresh, writes nothing to Incus).
  const pending = state.pending as { type: string; resource: { urn: string } }[];
  expect(pending.filter((op) => op.type !== "creating")).toEqual([]);
  const urns = new Set(recorded.map((r) => r.urn));
  expect(pending.filter((op) => !urns.has(op.resource.urn))).toEqual([]);
  if (pending.length) {
    s.clearRequests();
    await s.mustRun("refresh", "--clear-pending-creates");
    expect(s.writes()).toEqual([]);
    state = await s.state();
    recorded = incusResources(state);
    expect(recorded).toHaveLength(resources);
  }
  expect(state.pending).toEqual([]);
  expect(recorded.filter((r) => typeof r.outputs?.__provider !== "string").map((r) => r.urn)).toEqual([]);
  // One stack identity, the one every object's mark names.
  const [identity, ...more] = stackIdentities(state);
  expect(more).toEqual([]);
  expect(identity?.outputs?.uuid).toBe(identity?.id);
  expect(marks()).toEqual(recorded.map(() => `organization/pulumi-incus-e2e-declared/${s.name}/${identity!.id}`));
  s.clearRequests();
  const noop = await s.mustRun("up");
  expect(s.writes()).toEqual([]);
  expect(noop.output).not.toMatch(/\b(created|updated|replaced|deleted)\b/);
}

/**
 * Pulumi's own step after a killed CLI: the stack lock the dead process held stays (file backend; on Pulumi Cloud the
 * update stays "in progress"), and every command refuses to run until `pulumi cancel`. Nothing provider-related.
 * A kill that lands while the CLI saves a checkpoint can also leave the file backend's sidecar of it empty ("failed
 * to load checkpoint: EOF"): scripts/lib.sh's repair_torn_sidecars, which scripts/lab.sh runs first, removes it.
 */
async function expectStaleLock(s: FaultStack) {
  s.repairTornSidecars();
  const blocked = await s.run("up");
  expect(blocked.code).not.toBe(0);
  expect(blocked.output).toMatch(/the stack is currently locked/);
  await s.mustRun("cancel");
}

let s: FaultStack;

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=true");
  daemon.incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", P);
  s = await FaultStack.create(daemon.socket); // the default config: the owner mark is on
});

afterAll(async () => {
  await s?.remove();
  await daemon.destroy();
});

test("SIGINT, then SIGKILL of the CLI during creates: the next up takes over what was made and converges", async () => {
  await s.declare(declared("a"));
  const up = s.start("up");
  await s.waitForRequests(/^POST \/1\.0\/instances\?project=/, 3, up);
  // ^C as a terminal sends it (to the whole foreground group), then a hard kill before the CLI could finish.
  signalGroup(up, "SIGINT");
  await sleep(400);
  signalGroup(up, "SIGKILL");
  await up.done;
  await expectStaleLock(s);
  const interrupted = await s.state();
  expect(interrupted.pending.length + incusResources(interrupted).length).toBeGreaterThan(0);

  const again = await s.run("up");
  if (again.code !== 0) throw new Error(again.output.slice(-5000));
  expect(again.output).not.toMatch(/already exists/);
  expect(names("instances")).toEqual(expectedNames(["a"], "i"));
  expect(names("profiles")).toEqual(expectedNames(["a"], "p"));
  await expectConverged(s, 2 * N);
});

test("SIGKILL of the CLI and its plugins while instances start: the next up converges", async () => {
  await s.declare([...declared("a"), ...declared("b")]);
  s.clearRequests();
  const up = s.start("up");
  // Instances start in their create operation: the kill lands while the b instances are being made and started.
  await s.waitForRequests(/^POST \/1\.0\/instances\?project=/, 2, up);
  signalGroup(up, "SIGKILL");
  await up.done;
  await expectStaleLock(s);

  const again = await s.run("up");
  if (again.code !== 0) throw new Error(again.output.slice(-5000));
  expect(names("instances")).toEqual(expectedNames(["a", "b"], "i"));
  expect(names("profiles")).toEqual(expectedNames(["a", "b"], "p"));
  for (const inst of daemon.query<{ status: string }[]>(`/1.0/instances?recursion=1&project=${P}`)!) expect(inst.status).toBe("Running");
  await expectConverged(s, 4 * N);
});

test("an object someone else made under a declared name is not taken over", async () => {
  daemon.incus("profile", "create", "handmade", "--project", P);
  await s.declare([
    ...declared("a"),
    ...declared("b"),
    { kind: "Profile", name: "handmade", args: { project: P, name: "handmade", config: { "user.x": "1" } } },
  ]);
  s.clearRequests();
  const up = await s.run("up");
  expect(up.code).not.toBe(0);
  expect(up.output).toContain(`Profile "handmade" in project "${P}": it already exists; set \`adopt: true\``);
  expect(s.writes()).toEqual([`POST /1.0/profiles?project=${P}`]);
  expect(daemon.query(`/1.0/profiles/handmade?project=${P}`)?.config).toEqual({});
  daemon.incus("profile", "delete", "handmade", "--project", P);
});

test("destroy removes every object", async () => {
  await s.declare([]);
  await s.mustRun("destroy");
  expect(names("instances")).toEqual([]);
  expect(names("profiles")).toEqual([]);
});
