// Image CRUD against the real daemon: the busybox test tarball uploaded into a project with its own image store
// (features.images on). Aliases are kept exactly as the program lists them; properties from metadata.yaml stay.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BUSYBOX_TARBALL,
  closeConnections,
  dropProject,
  incus,
  query,
  queryWrite,
  rand,
  rejection,
  requestLog,
  Resource,
  variantTarball,
} from "./kinds-harness";

const project = `pit-image-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();
const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const FP = sha256(BUSYBOX_TARBALL);
const aliasesOf = (fp: string): string[] => (query(`/1.0/images/${fp}${q}`)?.aliases ?? []).map((a: { name: string }) => a.name).sort();

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-image-"));

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} }); // features.images defaults to true
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("life cycle", () => {
  const img = new Resource("Image", {
    name: "busybox",
    project,
    file: BUSYBOX_TARBALL,
    aliases: ["bb", "bb-stable"],
    properties: { "user.purpose": "tests", release: 1 },
  });

  it("create uploads the tarball with its properties and exactly the program's aliases", async () => {
    const outs = await img.create();
    expect(img.id).toBe(`/1.0/images/${FP}${q}`);
    expect(outs).toMatchObject({ fingerprint: FP, imageType: "container", architecture: "x86_64", size: fs.statSync(BUSYBOX_TARBALL).size });
    const live = query(`/1.0/images/${FP}${q}`);
    expect(live).toMatchObject({ public: false, project, filename: "busybox.tar.gz" });
    // metadata.yaml's properties stay; the program's are added or override them.
    expect(live.properties).toEqual({ description: "pulumi-incus busybox test image", os: "busybox", release: "1", "user.purpose": "tests" });
    expect(aliasesOf(FP)).toEqual(["bb", "bb-stable"]);
    expect(query(`/1.0/images/aliases/bb${q}`)?.target).toBe(FP);
  });

  it("diff right after create reports no change and only reads", async () => {
    log.take();
    expect(await img.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/images/${FP}${q}`]);
  });

  it("updates properties and public in place", async () => {
    log.take();
    expect(await img.up({ ...img.args, public: true, properties: { "user.purpose": "tests 2", release: "1" } })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/images/${FP}${q}`]);
    expect(query(`/1.0/images/${FP}${q}`)).toMatchObject({ public: true, properties: { "user.purpose": "tests 2", os: "busybox" } });
  });

  it("adds and removes aliases to match the program's list", async () => {
    log.take();
    expect(await img.up({ ...img.args, aliases: ["bb-stable", "bb-new"] })).toEqual({ changes: true });
    expect(log.takeWrites().sort()).toEqual([`DELETE /1.0/images/aliases/bb${q}`, `POST /1.0/images/aliases${q}`]);
    expect(aliasesOf(FP)).toEqual(["bb-new", "bb-stable"]);
  });

  it("leaves an alias someone added by hand alone, and puts back one of its own that was deleted", async () => {
    incus("image", "alias", "create", "by-hand", FP, "--project", project);
    log.take();
    expect(await img.diff()).toEqual({ changes: false });
    incus("image", "alias", "delete", "bb-new", "--project", project);
    expect(await img.diff()).toEqual({ changes: true });
    expect(img.printed.join("\n")).toMatch(/aliases: server has \["bb-stable"\], program wants \["bb-new","bb-stable"\]/);
    await img.up();
    expect(log.takeWrites()).toEqual([`POST /1.0/images/aliases${q}`]);
    expect(aliasesOf(FP)).toEqual(["bb-new", "bb-stable", "by-hand"]);
    incus("image", "alias", "delete", "by-hand", "--project", project);
  });

  it("a property changed or added by hand is put back; those from metadata.yaml (learnt at upload) stay", async () => {
    const live = query(`/1.0/images/${FP}${q}`);
    queryWrite("PUT", `/1.0/images/${FP}${q}`, { ...live, properties: { ...live.properties, "user.purpose": "hand", "user.extra": "x" } });
    expect(await img.diff()).toEqual({ changes: true });
    expect(img.printed.sort()).toEqual([
      `Image "busybox" in project "${project}": properties["user.extra"]: server has "x", program wants unset`,
      `Image "busybox" in project "${project}": properties["user.purpose"]: server has "hand", program wants "tests 2"`,
    ]);
    await img.up();
    const props = query(`/1.0/images/${FP}${q}`).properties;
    expect(props).toMatchObject({ "user.purpose": "tests 2", os: "busybox" });
    expect(props).not.toHaveProperty("user.extra");
  });

  it("keeps the profiles someone set between diff and update when the program does not manage them", async () => {
    const next = { ...img.args, public: false };
    expect(await img.diff(next)).toEqual({ changes: true });
    const live = query(`/1.0/images/${FP}${q}`);
    queryWrite("PUT", `/1.0/images/${FP}${q}`, { ...live, profiles: [] });
    await img.update(next);
    expect(query(`/1.0/images/${FP}${q}`)).toMatchObject({ public: false, profiles: [] });
  });

  it("the name is only a label: changing it touches nothing", async () => {
    log.take();
    expect(await img.diff({ ...img.args, name: "renamed" })).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("the same content again without adopt fails with a clear message", async () => {
    const twin = new Resource("Image", { name: "twin", project, file: BUSYBOX_TARBALL });
    const err = await rejection(twin.create());
    expect(err.message).toMatch(/^Image "twin" in project ".*": it already exists; set `adopt: true`/);
    expect(aliasesOf(FP)).toEqual(["bb-new", "bb-stable"]);
  });

  it("new content replaces the image, deleting the old one first, and moves the aliases", async () => {
    const variant = variantTarball(scratch, "variant");
    const newFp = sha256(variant);
    const diff = await img.up({ ...img.args, file: variant });
    expect(diff).toMatchObject({ changes: true, deleteBeforeReplace: true });
    expect(diff.replaces).toEqual(expect.arrayContaining(["fingerprint"]));
    expect(query(`/1.0/images/${FP}${q}`)).toBeUndefined();
    expect(aliasesOf(newFp)).toEqual(["bb-new", "bb-stable"]);
    expect(query(`/1.0/images/${newFp}${q}`).properties).toMatchObject({ release: "1", "user.purpose": "tests 2" });
    expect(img.id).toBe(`/1.0/images/${newFp}${q}`);
  });

  it("read returns {} after an out-of-band delete; delete leaves nothing, aliases included", async () => {
    const fp = String(img.state.fingerprint);
    expect((await img.read()).props).toMatchObject({ fingerprint: fp });
    incus("image", "delete", fp, "--project", project);
    expect(await img.read()).toEqual({});
    await img.create();
    expect(aliasesOf(fp)).toEqual(["bb-new", "bb-stable"]);
    await img.delete();
    expect(query(`/1.0/images/${fp}${q}`)).toBeUndefined();
    expect(query(`/1.0/images/aliases/bb-new${q}`)).toBeUndefined();
  });
});

describe("adopt", () => {
  it("adopts an image with the same content, adding the program's aliases and leaving the image's others alone", async () => {
    incus("image", "import", BUSYBOX_TARBALL, "--alias", "old-alias", "--project", project);
    const adopted = new Resource("Image", { name: "busybox", project, file: BUSYBOX_TARBALL, aliases: ["adopted"], adopt: true });
    await adopted.create();
    expect(adopted.state.fingerprint).toBe(FP);
    expect(aliasesOf(FP)).toEqual(["adopted", "old-alias"]);
    log.take();
    expect(await adopted.diff()).toEqual({ changes: false });
    // Dropping the field removes what the program named, and only that.
    expect(await adopted.up({ ...adopted.args, aliases: undefined })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`DELETE /1.0/images/aliases/adopted${q}`]);
    expect(aliasesOf(FP)).toEqual(["old-alias"]);
    await adopted.delete();
    expect(query(`/1.0/images/${FP}${q}`)).toBeUndefined();
  });
});

describe("an image already in the store, named by its fingerprint alone (what pulumi-incus generate writes)", () => {
  it("is adopted with no write; without adopt, or when missing, a clear error naming the field and nothing sent", async () => {
    incus("image", "import", BUSYBOX_TARBALL, "--alias", "in-store", "--project", project);
    log.take();
    const adopted = new Resource("Image", { name: "in-store", project, fingerprint: FP, adopt: true });
    expect(await adopted.create()).toMatchObject({ fingerprint: FP, imageType: "container" });
    expect(await adopted.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    expect(aliasesOf(FP)).toEqual(["in-store"]);
    await expect(new Resource("Image", { name: "plain", project, fingerprint: FP }).create()).rejects.toThrow(
      /fingerprint: an image given only by its fingerprint is one already in the store: set `adopt: true` to take it over/,
    );
    await expect(new Resource("Image", { name: "missing", project, fingerprint: "0".repeat(64) }).check()).rejects.toThrow(
      /\(fingerprint\) fingerprint: no image 0{64} in project/,
    );
    await expect(new Resource("Image", { name: "short", project, fingerprint: FP.slice(0, 12), adopt: true }).check()).rejects.toThrow(
      /full SHA-256 fingerprint/,
    );
    expect(log.takeWrites()).toEqual([]);
    await adopted.delete();
    expect(query(`/1.0/images/${FP}${q}`)).toBeUndefined();
  });
});

describe("split image", () => {
  it("uploads a metadata tarball and a rootfs tarball as one image whose fingerprint covers both", async () => {
    const tree = fs.mkdtempSync(path.join(scratch, "split-"));
    execFileSync("tar", ["xzf", BUSYBOX_TARBALL, "-C", tree]);
    const meta = path.join(scratch, "meta.tar.gz");
    const rootfs = path.join(scratch, "rootfs.tar.gz");
    execFileSync("tar", ["czf", meta, "-C", tree, "metadata.yaml"]);
    execFileSync("tar", ["czf", rootfs, "-C", path.join(tree, "rootfs"), "."]);
    const expected = createHash("sha256").update(fs.readFileSync(meta)).update(fs.readFileSync(rootfs)).digest("hex");
    const split = new Resource("Image", { name: "split", project, metadataFile: meta, rootfsFile: rootfs, aliases: ["split"] });
    const outs = await split.create();
    expect(outs.fingerprint).toBe(expected);
    expect(query(`/1.0/images/${expected}${q}`)).toMatchObject({ type: "container", filename: "rootfs.tar.gz" });
    expect(aliasesOf(expected)).toEqual(["split"]);
    log.take();
    expect(await split.diff()).toEqual({ changes: false });
    await split.delete();
    expect(query(`/1.0/images/${expected}${q}`)).toBeUndefined();
  });
});

describe("published from an instance (sourceInstance)", () => {
  const c = `pub-${rand()}`;
  const images = () => (query<{ fingerprint: string }[]>(`/1.0/images?recursion=1&project=${project}`) ?? []).map((i) => i.fingerprint);
  beforeAll(() => {
    queryWrite("PUT", `/1.0/profiles/default${q}`, { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } });
    incus("image", "import", BUSYBOX_TARBALL, "--project", project, "--alias", "bb-pub");
    incus("create", "bb-pub", c, "--project", project);
    incus("snapshot", "create", c, "s0", "--project", project);
  });
  afterAll(() => {
    incus("delete", "--force", c, "--project", project);
  });

  it("a stopped instance: the image is made, with the program's aliases and properties, and a second up only reads", async () => {
    const img = new Resource("Image", { name: "golden", project, sourceInstance: { name: c }, aliases: ["golden"], properties: { "user.from": c } });
    const outs = await img.create();
    const fp = outs.fingerprint as string;
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(img.id).toBe(`/1.0/images/${fp}${q}`);
    expect(query(`/1.0/images/${fp}${q}`)).toMatchObject({ type: "container", properties: expect.objectContaining({ "user.from": c, os: "busybox" }) });
    expect(aliasesOf(fp)).toEqual(["golden"]);
    log.take();
    expect(await img.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    // Another instance is another image: a replacement, said at diff.
    expect(await img.diff({ ...img.args, sourceInstance: { name: c, snapshot: "s0" } })).toMatchObject({ changes: true, replaces: ["sourceInstance"] });
    await img.delete();
    expect(query(`/1.0/images/${fp}${q}`)).toBeUndefined();
  });

  it("a snapshot of a running instance", async () => {
    incus("start", c, "--project", project);
    const img = new Resource("Image", { name: "from-snap", project, sourceInstance: { name: c, snapshot: "s0" } });
    const outs = await img.create();
    expect(query(`/1.0/images/${outs.fingerprint}${q}`)).toMatchObject({ type: "container" });
    await img.delete();
  });

  it("a running instance itself: a clear error that says what to do, and no image left", async () => {
    const before = images();
    const img = new Resource("Image", { name: "running", project, sourceInstance: { name: c } });
    await expect(img.create()).rejects.toThrow(
      /Cannot export a running instance as an image.*; publish a snapshot of it \(`sourceInstance.snapshot`\) or keep the instance stopped/,
    );
    expect(images().sort()).toEqual(before.sort());
  });

  it("bad input is named at check: two sources at once", async () => {
    await expect(new Resource("Image", { name: "two", project, file: BUSYBOX_TARBALL, sourceInstance: { name: c } }).check()).rejects.toThrow(
      /give exactly one of `file`, `metadataFile` \+ `rootfsFile`, `source` or `sourceInstance`/,
    );
  });
});
