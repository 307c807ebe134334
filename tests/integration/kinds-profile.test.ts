// Profile CRUD against the real daemon, in a project of its own (features.profiles on).
import { closeConnections, dropProject, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

type State = Record<string, unknown>;

const project = `pit-profile-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
});

const args = (over: Record<string, unknown> = {}) => ({
  name: "web",
  project,
  config: { "limits.cpu": 2, "limits.memory": "256MiB" },
  devices: { data: { type: "disk", path: "/data", source: "/tmp" } },
  ...over,
});

describe("life cycle", () => {
  const web = new Resource("Profile", args());

  it("create makes the profile with string config and its devices", async () => {
    const outs = await web.create();
    expect(web.id).toBe(`/1.0/profiles/web${q}`);
    expect(outs).toMatchObject({ name: "web", project, config: { "limits.cpu": "2" }, usedBy: [] });
    const live = query(`/1.0/profiles/web${q}`);
    expect(live.config).toEqual({ "limits.cpu": "2", "limits.memory": "256MiB" });
    expect(live.devices).toEqual({ data: { type: "disk", path: "/data", source: "/tmp" } });
    expect(live.description).toBe("");
  });

  it("diff right after create reports no change and only reads", async () => {
    log.take();
    expect(await web.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/profiles/web${q}`]);
  });

  it("updates config, devices and description in place", async () => {
    log.take();
    const next = args({ description: "web tier", config: { "limits.cpu": "4" }, devices: {} });
    expect(await web.up(next)).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/profiles/web${q}`]);
    const live = query(`/1.0/profiles/web${q}`);
    expect(live).toMatchObject({ description: "web tier", config: { "limits.cpu": "4" }, devices: {} });
    expect(await web.diff()).toEqual({ changes: false });
  });

  it("a new name is a rename in place", async () => {
    log.take();
    expect(await web.up({ ...web.args, name: "web2" })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`POST /1.0/profiles/web${q}`]);
    expect(query(`/1.0/profiles/web${q}`)).toBeUndefined();
    expect(query(`/1.0/profiles/web2${q}`)).toMatchObject({ description: "web tier", config: { "limits.cpu": "4" } });
    expect(web.state.name).toBe("web2");
    expect(web.id).toBe(`/1.0/profiles/web${q}`); // Pulumi keeps the id of a resource that is updated
  });

  it("drift made by hand shows in diff and up puts the program's values back", async () => {
    incus("profile", "set", "web2", "limits.cpu=8", "user.note=hand", "--project", project);
    incus("profile", "device", "add", "web2", "extra", "none", "--project", project);
    expect(await web.diff()).toEqual({ changes: true });
    expect(web.printed.map((l) => l.replace(/^Profile "web2" in project "[^"]+": /, "")).sort()).toEqual([
      'config["limits.cpu"]: server has "8", program wants "4"',
      'config["user.note"]: server has "hand", program wants unset',
      'devices["extra"]: server has {"type":"none"}, program wants unset',
    ]);
    await web.up();
    expect(query(`/1.0/profiles/web2${q}`)).toMatchObject({ config: { "limits.cpu": "4" }, devices: {} });
  });

  it("keeps what another writer changed between diff and update in a field the program does not manage", async () => {
    const unmanaged = { name: "web2", project, config: { "limits.cpu": "6" } }; // no description, no devices
    // The program stops declaring its description: it is reset, and from then on it is not the program's business.
    await web.up({ ...unmanaged, config: web.state.config as State });
    expect(query(`/1.0/profiles/web2${q}`).description).toBe("");
    expect(await web.diff(unmanaged)).toEqual({ changes: true });
    incus("profile", "set", "web2", "--property", "description=edited meanwhile", "--project", project);
    await web.update(unmanaged);
    expect(query(`/1.0/profiles/web2${q}`)).toMatchObject({ description: "edited meanwhile", config: { "limits.cpu": "6" } });
  });

  it("an object deleted out of band is re-created by the next up (no refresh)", async () => {
    incus("profile", "delete", "web2", "--project", project);
    expect(await web.up()).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
    expect(query(`/1.0/profiles/web2${q}`)).toMatchObject({ config: { "limits.cpu": "6" } });
  });

  it("read returns the live object, and {} once it was deleted out of band", async () => {
    incus("profile", "set", "web2", "limits.cpu=7", "--project", project);
    const found = await web.read();
    expect(found.props).toMatchObject({ name: "web2", project, config: { "limits.cpu": "7" }, usedBy: [] });
    expect(found.inputs).toMatchObject({ name: "web2", config: { "limits.cpu": "7" } });
    incus("profile", "delete", "web2", "--project", project);
    expect(await web.read()).toEqual({});
  });

  it("delete leaves nothing", async () => {
    await web.create();
    expect(query(`/1.0/profiles/web2${q}`)).toBeDefined();
    await web.delete();
    expect(query(`/1.0/profiles/web2${q}`)).toBeUndefined();
    await web.delete(); // deleting what is gone is fine
  });
});

describe("adopt", () => {
  const name = `made-${rand()}`;
  beforeAll(() => {
    incus("profile", "create", name, "--project", project);
    incus("profile", "set", name, "limits.cpu=2", "--project", project);
  });

  it("create of an existing profile fails with a clear message unless adopt is set", async () => {
    const err = await rejection(new Resource("Profile", { name, project, config: { "limits.cpu": "2" } }).create());
    expect(err.message).toBe(
      `Profile "${name}" in project "${project}": it already exists; set \`adopt: true\` to manage the existing object, or choose another name`,
    );
  });

  it("adopts a matching profile without changing it", async () => {
    log.take();
    const adopted = new Resource("Profile", { name, project, config: { "limits.cpu": 2 }, adopt: true });
    await adopted.create();
    // The only write is the create that Incus refused.
    expect(log.takeWrites().filter((l) => !l.startsWith("POST /1.0/profiles"))).toEqual([]);
    expect(await adopted.diff()).toEqual({ changes: false });
  });

  it("adopts a differing profile by writing the program's fields", async () => {
    const adopted = new Resource("Profile", { name, project, config: { "limits.cpu": 3 }, adopt: true });
    await adopted.create();
    expect(query(`/1.0/profiles/${name}${q}`).config).toEqual({ "limits.cpu": "3" });
    await adopted.delete();
    expect(query(`/1.0/profiles/${name}${q}`)).toBeUndefined();
  });

  // The brief: "with adopt:true no write is sent when the object already matches". The engine always POSTs first
  // and adopts on "already exists" (a refused write; for images it is the whole upload).
  it("adopting a matching profile sends no write at all", async () => {
    const other = `made-${rand()}`;
    incus("profile", "create", other, "--project", project);
    log.take();
    await new Resource("Profile", { name: other, project, adopt: true }).create();
    expect(log.takeWrites()).toEqual([]);
  });
});
