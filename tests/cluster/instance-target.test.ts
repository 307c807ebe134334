// `target` on Instance through the real CLI, with the package installed from its tarball, on a private 3-member
// cluster (127.0.12.2-4) reached over HTTPS through member 1: placement on a member, on a group and by the scheduler;
// a target edit that the preview says will move the instance, moved by `up` in place (stop, move, start; never a
// replacement); a no-op `up` with 0 writes; and a target on a standalone server refused at preview, naming the field.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, installedProgram, uniqueSuffix } from "../e2e/harness";
import { ClusterDaemons, TEST_IMAGE_ALIAS } from "./cluster";

jest.setTimeout(600_000);

const cluster = new ClusterDaemons("itarget", 12);
const [m1, m2, m3] = ["itarget-m1", "itarget-m2", "itarget-m3"];
const s = uniqueSuffix().slice(-6);
const names = { web: `web-${s}`, grouped: `grp-${s}`, anywhere: `any-${s}` };
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cluster-target-"));
const { env, run, takeWrites, timings } = cliSession(work);
let app = "";

const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], app);
const up = () => pulumi("up", "--yes", "--skip-preview");

/** A pulumi command that must fail: its output. */
function fails(...args: string[]): string {
  try {
    execFileSync("pulumi", [...args, "--non-interactive"], { cwd: app, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ""}\n${e.stderr ?? ""}`;
  }
  throw new Error(`pulumi ${args.join(" ")} succeeded`);
}

function declare(webTarget: string): void {
  const resources = [
    { kind: "Instance", name: "web", args: { name: names.web, image: TEST_IMAGE_ALIAS, target: webTarget } },
    { kind: "Instance", name: "grouped", args: { name: names.grouped, image: TEST_IMAGE_ALIAS, target: "@grp", running: false } },
    { kind: "Instance", name: "anywhere", args: { name: names.anywhere, image: TEST_IMAGE_ALIAS, running: false } },
  ];
  pulumi("config", "set", "resources", JSON.stringify(resources));
}

async function instance(name: string): Promise<{ location: string; status: string }> {
  return (await cluster.client().get<{ location: string; status: string }>(`/1.0/instances/${name}`, { project: "default" })).value;
}

beforeAll(async () => {
  await cluster.create();
  cluster.incus(["cluster", "group", "create", "grp"]);
  cluster.incus(["cluster", "group", "assign", m3, "default,grp"]);
  app = installedProgram("declared");
  pulumi("stack", "init", "cluster");
  pulumi("config", "set", "incus:remote", "cluster");
  pulumi("config", "set", "incus:configDir", cluster.writeConfigDir(path.join(work, "incus-conf")));
}, 600_000);

afterAll(async () => {
  // The cluster goes with everything on it, whatever the tests left.
  await cluster.destroy();
  console.log(timings.join("\n"));
  fs.rmSync(work, { recursive: true, force: true });
  if (app) fs.rmSync(app, { recursive: true, force: true });
}, 300_000);

test("placement: on a member, on a group's member, and where the scheduler chose", async () => {
  declare(m2);
  takeWrites();
  up();
  const writes = takeWrites();
  expect(writes).toContain(`POST /1.0/instances?target=${m2}`);
  expect(writes).toContain(`POST /1.0/instances?target=%40grp`);
  expect(await instance(names.web)).toMatchObject({ location: m2, status: "Running" });
  expect(await instance(names.grouped)).toMatchObject({ location: m3, status: "Stopped" });
  expect([m1, m2, m3]).toContain((await instance(names.anywhere)).location);
  const state = JSON.parse(pulumi("stack", "export")).deployment.resources as { urn: string; outputs: { location?: string } }[];
  expect(state.find((r) => r.urn.endsWith("::web"))!.outputs.location).toBe(m2);
});

test("a target edit: the preview says the instance moves; `up` moves it in place; the next `up` writes nothing", async () => {
  declare(m1);
  const preview = pulumi("preview");
  expect(preview).toContain(`target: on cluster member "${m2}", program wants "${m1}": the instance moves (stopped, moved and started again)`);
  expect(preview).toMatch(/~ 1 to update/);
  expect(preview).not.toMatch(/replace/);
  takeWrites();
  up();
  expect(takeWrites()).toEqual([
    `PUT /1.0/instances/${names.web}/state`,
    `POST /1.0/instances/${names.web}?target=${m1}`,
    `PUT /1.0/instances/${names.web}/state`,
  ]);
  expect(await instance(names.web)).toMatchObject({ location: m1, status: "Running" });
  // Where the group and the scheduler put the other two is no difference either.
  pulumi("up", "--yes", "--skip-preview", "--expect-no-changes");
  expect(takeWrites()).toEqual([]);
});

test("a target on a standalone server is refused at preview, naming the field, with nothing sent", () => {
  pulumi("stack", "init", "standalone");
  try {
    // The shared daemon through its unix socket: no cluster.
    pulumi(
      "config",
      "set",
      "resources",
      JSON.stringify([{ kind: "Instance", name: "placed", args: { name: `placed-${s}`, image: TEST_IMAGE_ALIAS, target: m1 } }]),
    );
    takeWrites();
    const out = fails("preview");
    expect(out).toContain("target: the Incus server is not clustered");
    expect(takeWrites()).toEqual([]);
  } finally {
    pulumi("stack", "rm", "--yes", "standalone");
    pulumi("stack", "select", "cluster");
  }
});

test("destroy leaves nothing", async () => {
  pulumi("destroy", "--yes", "--skip-preview");
  const left = await cluster.client().list<{ name: string }>("/1.0/instances", { project: "default" });
  expect(left.map((i) => i.name)).toEqual([]);
});
