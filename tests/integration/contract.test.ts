// The contract's rules that need the real daemon: default objects Incus will not delete, projects whose features
// send requests to the default project, and image aliases that two resources might both claim.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFor } from "pulumi-incus/provider";
import {
  BUSYBOX_TARBALL,
  closeConnections,
  dropIfPresent,
  dropProject,
  query,
  queryWrite,
  rand,
  rejection,
  requestLog,
  Resource,
  variantTarball,
} from "./kinds-harness";

jest.setTimeout(120_000);
type State = Record<string, unknown>;
const log = requestLog();
const own = `pit-contract-${rand()}`; // features on: its own default profile and image store
const shared = `pit-shared-${rand()}`; // features.profiles and features.images off: served from the default project
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-contract-"));

const variant = (release: string) => variantTarball(scratch, release);

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: own, config: {} });
  queryWrite("POST", "/1.0/projects", {
    name: shared,
    config: { "features.profiles": "false", "features.images": "false", "features.storage.volumes": "false" },
  });
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(own);
  queryWrite("DELETE", `/1.0/projects/${shared}`);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("default objects", () => {
  it("an adopted default profile is reset on destroy to what a new project's default profile has, and the project can go", async () => {
    const profile = new Resource("Profile", {
      name: "default",
      project: own,
      adopt: true,
      description: "mine",
      config: { "limits.cpu": "1" },
      devices: { root: { type: "disk", path: "/", pool: "default" } },
    });
    await profile.create();
    expect(query(`/1.0/profiles/default?project=${own}`)).toMatchObject({ description: "mine", config: { "limits.cpu": "1" } });
    await profile.delete();
    expect(query(`/1.0/profiles/default?project=${own}`)).toMatchObject({ description: `Default Incus profile for project ${own}`, config: {}, devices: {} });
    // The project's destroy is not blocked by the profile.
    const project = new Resource("Project", { name: `${own}-x` });
    await project.create();
    const theirs = new Resource("Profile", { name: "default", project: `${own}-x`, adopt: true, config: { "user.a": "1" } });
    await theirs.create();
    await theirs.delete();
    await project.delete();
    expect(query(`/1.0/projects/${own}-x`)).toBeUndefined();
  });
});

describe("a project whose feature is off serves the default project's objects", () => {
  const defaultProfile = () => query(`/1.0/profiles/default`) as State;

  it("adopting `default` there is refused at check (preview), naming the project and the feature; nothing is written", async () => {
    const before = defaultProfile();
    log.take();
    const profile = new Resource("Profile", { name: "default", project: shared, adopt: true, devices: {} });
    const err = await rejection(profile.check());
    expect(err.message).toContain("(project) project: ");
    expect(err.message).toContain(`project "${shared}" has features.profiles turned off`);
    expect(err.message).toContain('Set `project: "default"` to manage it there');
    // And if a preview was skipped (the project was made in the same run), create refuses before sending anything.
    const create = await rejection(engineCreate("Profile", { name: "default", project: shared, adopt: true, devices: {} }));
    expect(create.message).toMatch(/features\.profiles turned off/);
    expect(log.takeWrites()).toEqual([]);
    expect(defaultProfile()).toEqual(before);
  });

  it("a new profile or image there is refused too (it would land in the default project)", async () => {
    const err = await rejection(new Resource("Profile", { name: `p-${rand()}`, project: shared }).check());
    expect(err.message).toMatch(/features\.profiles turned off/);
    const img = await rejection(new Resource("Image", { name: "img", project: shared, file: BUSYBOX_TARBALL }).check());
    expect(img.message).toMatch(/features\.images turned off/);
    expect(log.takeWrites()).toEqual([]);
  });
});

/** create() as the engine gets it, past check: what happens when a preview could not know. */
async function engineCreate(kind: "Profile", args: State) {
  return engineFor(kind).create(args);
}

describe("image aliases", () => {
  const first = variant(`a-${rand()}`);
  const second = variant(`b-${rand()}`);
  const alias = `contract/${rand()}`;

  it("an alias another image holds is refused before anything is sent; adopt takes it over; they never flip", async () => {
    const a = new Resource("Image", { name: "a", project: own, file: first, aliases: [alias] });
    await a.create();
    const fpA = a.state.fingerprint as string;
    expect(query(`/1.0/images/aliases/${alias}?project=${own}`)?.target).toBe(fpA);

    log.take();
    const b = new Resource("Image", { name: "b", project: own, file: second, aliases: [alias] });
    const err = await rejection(b.create());
    expect(err.message).toContain(`aliases: "${alias}" already points at image ${fpA.slice(0, 12)}`);
    expect(err.message).toContain("set `adopt: true` to take the alias over");
    expect(log.takeWrites()).toEqual([]); // no upload, no alias change
    // A's next diff still says nothing changed: the alias never moved.
    expect(await a.diff()).toEqual({ changes: false });

    const b2 = new Resource("Image", { name: "b", project: own, file: second, aliases: [alias], adopt: true });
    await b2.create();
    expect(query(`/1.0/images/aliases/${alias}?project=${own}`)?.target).toBe(b2.state.fingerprint);
    // A now sees the alias gone (drift): an update of A would need adopt to take it back.
    expect(await a.diff()).toEqual({ changes: true });
    const back = await rejection(a.update());
    expect(back.message).toContain(`aliases: "${alias}" already points at image`);
    await b2.delete();
    await a.delete();
  });
});

describe("keys the server fills in at create", () => {
  const pool = `pit-pool-${rand()}`;
  afterAll(() => {
    dropIfPresent(`/1.0/storage-pools/${pool}/volumes/custom/vol?project=${own}`);
    dropIfPresent(`/1.0/storage-pools/${pool}`);
  });

  it("a volume made in a pool with volume.* defaults keeps them: no PUT after create, no diff afterwards", async () => {
    queryWrite("POST", "/1.0/storage-pools", { name: pool, driver: "dir", config: { "volume.size": "20MiB", "volume.snapshots.expiry": "7d" } });
    const vol = new Resource("StorageVolume", { name: "vol", project: own, pool, config: { "user.a": "1" } });
    log.take();
    await vol.create();
    expect(log.takeWrites()).toEqual([`POST /1.0/storage-pools/${pool}/volumes/custom?project=${own}`]);
    expect(query(`/1.0/storage-pools/${pool}/volumes/custom/vol?project=${own}`)?.config).toEqual({ "user.a": "1", size: "20MiB", "snapshots.expiry": "7d" });
    expect(await vol.diff()).toEqual({ changes: false });
    // Named by the program, a learnt key is the program's; dropped again, it goes.
    await vol.up({ ...vol.args, config: { "user.a": "1", size: "30MiB" } });
    await vol.up({ ...vol.args, config: { "user.a": "1" } });
    expect(query(`/1.0/storage-pools/${pool}/volumes/custom/vol?project=${own}`)?.config).toEqual({ "user.a": "1", "snapshots.expiry": "7d" });
    expect(await vol.diff()).toEqual({ changes: false });
    await vol.delete();
  });
});
