// ImageAlias against the real daemon, in a project of its own (features.images on) holding two images the stack
// does not upload: create, no-op, target and description changed in place, description reset, rename (the name may
// hold a slash), drift shown and reverted, adopt, delete; an alias that already exists (held by an image, e.g. an
// Image resource's `aliases`) is refused at check unless adopt, while an Image's own other aliases and an ImageAlias
// coexist; bad input named at check before any request.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFor } from "pulumi-incus/provider";
import {
  BUSYBOX_TARBALL,
  closeConnections,
  dropProject,
  expectNoOp,
  incus,
  query,
  queryWrite,
  rand,
  requestLog,
  Resource,
  variantTarball,
} from "./kinds-harness";

jest.setTimeout(300_000);
const project = `pit-alias-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-alias-"));
const alias = (name: string) => `/1.0/images/aliases/${encodeURIComponent(name)}${q}`;
let FP1 = "";
let FP2 = "";

function importImage(file: string): string {
  incus("image", "import", file, "--project", project);
  const images = query<{ fingerprint: string; properties: Record<string, string> }[]>(`/1.0/images?recursion=1&project=${project}`) ?? [];
  return images.map((i) => i.fingerprint).find((fp) => fp !== FP1)!;
}

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
  FP1 = importImage(BUSYBOX_TARBALL);
  FP2 = importImage(variantTarball(scratch, "alias-test"));
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe("ImageAlias", () => {
  const r = new Resource("ImageAlias", { name: "bb/stable", project, target: "", description: "d1" });
  const noOp = () => expectNoOp(r, log);

  it("bad input is named at check, before any request", async () => {
    log.take();
    const res = await engineFor("ImageAlias").check({}, { name: "bb", project, target: FP1.slice(0, 12) });
    expect(res.failures).toEqual([{ property: "target", reason: expect.stringMatching(/^target: the image's full SHA-256 fingerprint/) }]);
    expect(log.take()).toEqual([]);
  });

  it("create points the alias (its name with a slash) at the image; the type is Incus's", async () => {
    r.args = { ...r.args, target: FP1 };
    log.take();
    const outs = await r.create();
    expect(log.takeWrites()).toEqual([`POST /1.0/images/aliases${q}`]);
    expect(r.id).toBe(`/1.0/images/aliases/bb%2Fstable${q}`);
    expect(query(alias("bb/stable"))).toEqual({ name: "bb/stable", target: FP1, description: "d1", type: "container" });
    expect(outs).toMatchObject({ name: "bb/stable", target: FP1, description: "d1", type: "container", project });
  });

  it("target and description change in place (one PUT each)", async () => {
    log.take();
    expect(await r.up({ ...r.args, target: FP2 })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/images/aliases/bb%2Fstable${q}`]);
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2, description: "d1" });
    expect(await r.up({ ...r.args, description: "d2" })).toEqual({ changes: true });
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2, description: "d2" });
    await noOp();
  });

  it("a dropped description goes back to empty", async () => {
    const { description: _d, ...rest } = r.args;
    expect(await r.up(rest)).toEqual({ changes: true });
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2, description: "" });
    await noOp();
  });

  it("drift made by hand is shown and reverted", async () => {
    await r.up({ ...r.args, description: "d1" });
    queryWrite("PUT", alias("bb/stable"), { target: FP1, description: "by hand" });
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`target: server has "${FP1}", program wants "${FP2}"`);
    expect(r.printed.join("\n")).toContain(`description: server has "by hand", program wants "d1"`);
    await r.up();
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2, description: "d1" });
    await noOp();
  });

  it("rename is in place, and back", async () => {
    log.take();
    expect(await r.up({ ...r.args, name: "bb/renamed" })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`POST /1.0/images/aliases/bb%2Fstable${q}`]);
    expect(query(alias("bb/stable"))).toBeUndefined();
    expect(query(alias("bb/renamed"))).toMatchObject({ target: FP2 });
    expect(await r.up({ ...r.args, name: "bb/stable" })).toEqual({ changes: true });
    await noOp();
  });

  it("lookup by id reads the name from the path", async () => {
    const res = await engineFor("ImageAlias").read(r.id, {});
    expect(res.props).toMatchObject({ name: "bb/stable", target: FP2, description: "d1", type: "container", project });
  });

  it("out-of-band delete: refresh drops it, and the next up makes it again", async () => {
    queryWrite("DELETE", alias("bb/stable"));
    expect(await r.read()).toEqual({});
    await r.create();
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2 });
  });

  it("an alias an image already holds (an Image resource's, or made by hand) is refused at check, naming the image", async () => {
    incus("image", "alias", "create", "held", FP1, "--project", project);
    log.take();
    const res = await engineFor("ImageAlias").check({}, { name: "held", project, target: FP2 });
    expect(res.failures).toEqual([
      {
        property: "name",
        reason: expect.stringMatching(
          new RegExp(`^name: alias "held" already exists in project "${project}" and points at image ${FP1.slice(0, 12)}; .*\`adopt: true\``),
        ),
      },
    ]);
    // Only reads: nothing was written.
    expect(log.takeWrites()).toEqual([]);
    expect(query(alias("held"))).toMatchObject({ target: FP1 });
  });

  it("the Image kind refuses an alias this kind holds for another image (the two never fight)", async () => {
    const img = new Resource("Image", { name: "img", project, file: BUSYBOX_TARBALL, aliases: ["bb/stable"] });
    // The image exists (same content): taken over first without managing aliases, then the program lists one.
    await img.create({ ...img.args, adopt: true, aliases: undefined });
    img.args = { ...img.args, adopt: undefined, aliases: ["bb/stable"] };
    await expect(img.diff()).rejects.toThrow(/aliases: "bb\/stable" already points at image .*which this resource does not manage/);
    expect(query(alias("bb/stable"))).toMatchObject({ target: FP2 });
  });

  it("an Image resource's own aliases and an ImageAlias on the same image leave each other alone", async () => {
    const img = new Resource("Image", { name: "img", project, file: BUSYBOX_TARBALL, aliases: undefined });
    await img.create({ ...img.args, adopt: true });
    expect(await img.up({ ...img.args, adopt: undefined, aliases: ["img-own"] })).toEqual({ changes: true });
    const side = new Resource("ImageAlias", { name: "side", project, target: FP1 });
    await side.create();
    log.take();
    expect(await img.diff()).toEqual({ changes: false });
    expect(await side.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    await side.delete();
    expect(query(alias("img-own"))).toMatchObject({ target: FP1 });
  });

  it("adopt: the preview says what changes; up takes the alias over with one PUT", async () => {
    const adopted = new Resource("ImageAlias", { name: "held", project, target: FP2, description: "mine", adopt: true });
    await adopted.check();
    expect(adopted.checkPrinted.join("\n")).toContain(`exists and will be adopted: target: server has "${FP1}", program wants "${FP2}"`);
    log.take();
    await adopted.create();
    expect(log.takeWrites()).toEqual([`PUT /1.0/images/aliases/held${q}`]);
    expect(query(alias("held"))).toMatchObject({ target: FP2, description: "mine" });
    await adopted.delete();
    expect(query(alias("held"))).toBeUndefined();
  });

  it("delete removes the alias and leaves the image", async () => {
    await r.delete();
    expect(query(alias("bb/stable"))).toBeUndefined();
    expect(query(`/1.0/images/${FP2}${q}`)).toBeDefined();
  });
});
