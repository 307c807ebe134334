// Every core kind through the real Pulumi engine and the real daemon, in one stack so each phase exercises all
// kinds at once: create, no-change up (no writes), in-place update, rename, replacement, drift (edit with the
// incus CLI → preview shows it → up reverts it, server-computed keys untouched), a concurrent writer during an
// update, refresh after an out-of-band delete, destroy.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { incus, incusJson, marked, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const s = uniqueSuffix().slice(-8);
const P = `pie-${s}`; // the test's own project for project-scoped kinds
const TARBALL = path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");
const client = new IncusClient();

interface Declared {
  kind: string;
  name: string;
  args: Record<string, unknown>;
  dependsOn?: string[];
}

const names = {
  proj: `pie-p-${s}`,
  prof: `prof-${s}`,
  net: `pie${s}`,
  pool: `pie-pool-${s}`,
  vol: `vol-${s}`,
  inst: `inst-${s}`,
  alias: `bb-${s}`,
};
const renamed = {
  proj: `${names.proj}-r`,
  prof: `${names.prof}-r`,
  net: `pir${s}`,
  pool: `${names.pool}-r`,
  vol: `${names.vol}-r`,
  inst: `${names.inst}-r`,
};

/** The program's resources for one phase; `over` replaces a resource's args by logical name. */
function declared(n: typeof names | (typeof names & typeof renamed), over: Record<string, Record<string, unknown>> = {}, file = TARBALL): Declared[] {
  const base: Declared[] = [
    { kind: "Image", name: "img", args: { project: P, file, aliases: [names.alias], properties: { "user.e2e": "1" } } },
    { kind: "Project", name: "proj", args: { name: n.proj, config: { "limits.instances": 5, "user.note": "a" } } },
    {
      kind: "Profile",
      name: "prof",
      args: { project: P, name: n.prof, description: "d1", config: { "limits.cpu": 1 }, devices: { root: { type: "disk", path: "/", pool: "default" } } },
    },
    { kind: "Network", name: "net", args: { project: "default", name: n.net, config: { "ipv4.address": "none", "ipv6.address": "none" } } },
    { kind: "StoragePool", name: "pool", args: { name: n.pool, driver: "dir", description: "p1" } },
    { kind: "StorageVolume", name: "vol", args: { project: P, pool: "default", name: n.vol, config: { "user.x": "1" } } },
    {
      kind: "Instance",
      name: "inst",
      args: { project: P, name: n.inst, image: "$ref:img.fingerprint", profiles: ["$ref:prof.name"], config: { "user.a": "1" } },
    },
  ];
  return base.map((d) => (over[d.name] ? { ...d, args: { ...d.args, ...over[d.name] } } : d));
}

const q = (p: string) => incusJson(p);
const inP = (p: string) => `${p}?project=${P}`;

let t: TestStack;
let variantTarball: string;

async function setResources(list: Declared[]) {
  await t.stack.setConfig("resources", { value: JSON.stringify(list) });
}

/** A second image with different content: the busybox tarball with another creation date in metadata.yaml. */
function buildVariant(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pie-variant-"));
  execFileSync("tar", ["-xzf", TARBALL, "-C", dir, "metadata.yaml"]);
  const meta = fs.readFileSync(path.join(dir, "metadata.yaml"), "utf8").replace(/creation_date: \d+/, "creation_date: 1795000001");
  fs.writeFileSync(path.join(dir, "metadata.yaml"), meta);
  execFileSync("bash", [
    "-c",
    `gzip -dc "${TARBALL}" > "${dir}/img.tar" && tar -f "${dir}/img.tar" --delete metadata.yaml && tar -C "${dir}" -rf "${dir}/img.tar" metadata.yaml && gzip -n "${dir}/img.tar"`,
  ]);
  return path.join(dir, "img.tar.gz");
}

beforeAll(async () => {
  await client.post(
    "/1.0/projects",
    { name: P, config: { "features.images": "true", "features.profiles": "true", "features.storage.volumes": "true" } },
    { project: null },
  );
  variantTarball = buildVariant();
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"));
  await setResources(declared(names));
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  // Whatever a failed phase left behind.
  for (const n of [names.net, renamed.net]) await client.delete(`/1.0/networks/${n}`, { project: null }).catch(() => undefined);
  for (const n of [names.proj, renamed.proj, P]) await deleteProjectAndContents(client, n).catch(() => undefined);
  for (const n of [names.pool, renamed.pool]) await client.delete(`/1.0/storage-pools/${n}`, { project: null }).catch(() => undefined);
  fs.rmSync(path.dirname(variantTarball), { recursive: true, force: true });
  await closeAllPools();
});

test("preview plans every kind and writes nothing", async () => {
  const preview = await t.stack.preview();
  expect(preview.changeSummary.create).toBe(9); // the stack, its identity, seven objects
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("up creates every kind on the daemon", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges?.create).toBe(9);
  const img = q(inP(`/1.0/images/aliases/${names.alias}`));
  expect(img.target).toMatch(/^[0-9a-f]{64}$/);
  expect(q(`/1.0/projects/${names.proj}`).config["limits.instances"]).toBe("5");
  expect(q(`/1.0/projects/${names.proj}`).config["features.profiles"]).toBe("true"); // server default kept
  expect(q(inP(`/1.0/profiles/${names.prof}`)).config).toEqual(marked({ "limits.cpu": "1" }));
  expect(q(`/1.0/networks/${names.net}`).config).toEqual(marked({ "ipv4.address": "none", "ipv6.address": "none" }));
  expect(q(`/1.0/storage-pools/${names.pool}`).config.source).toContain(names.pool);
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${names.vol}`)).config).toEqual(marked({ "user.x": "1" }));
  const inst = q(inP(`/1.0/instances/${names.inst}`));
  expect(inst.status).toBe("Running");
  expect(inst.profiles).toEqual([names.prof]);
  expect(inst.config["volatile.base_image"]).toBe(img.target);
  t.takeRequests();
});

test("a second up changes nothing and sends no write", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 9 });
  const requests = t.takeRequests();
  expect(requests.filter((r) => r.startsWith("GET ")).length).toBeGreaterThanOrEqual(7); // diff read each live object
  expect(t.writes(requests)).toEqual([]);
});

test("in-place updates change every kind without replacing anything", async () => {
  await setResources(
    declared(names, {
      img: { aliases: [names.alias, `${names.alias}-2`], public: true },
      proj: { config: { "limits.instances": 7, "user.note": "b" } },
      prof: { config: { "limits.cpu": 2 }, description: "d2" },
      net: { description: "updated", config: { "ipv4.address": "none", "ipv6.address": "none", "bridge.mtu": 1400 } },
      pool: { description: "p2" },
      vol: { config: { "user.x": "2" }, description: "v2" },
      inst: { config: { "user.a": "2" } },
    }),
  );
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 2, update: 7 });
  const writes = t.writes(t.takeRequests());
  expect(writes.some((w) => w.startsWith("PATCH"))).toBe(false);
  const img = q(inP(`/1.0/images/aliases/${names.alias}`));
  const image = q(inP(`/1.0/images/${img.target}`));
  expect(image.public).toBe(true);
  expect(image.aliases.map((a: { name: string }) => a.name).sort()).toEqual([names.alias, `${names.alias}-2`]);
  const proj = q(`/1.0/projects/${names.proj}`);
  expect(proj.config["limits.instances"]).toBe("7");
  expect(proj.config["features.images"]).toBe("true");
  expect(q(inP(`/1.0/profiles/${names.prof}`)).description).toBe("d2");
  expect(q(`/1.0/networks/${names.net}`).config["bridge.mtu"]).toBe("1400");
  expect(q(`/1.0/storage-pools/${names.pool}`).description).toBe("p2");
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${names.vol}`)).description).toBe("v2");
  const inst = q(inP(`/1.0/instances/${names.inst}`));
  expect(inst.config["user.a"]).toBe("2");
  expect(inst.config["volatile.uuid"]).toBeTruthy(); // runtime keys carried over
  await setResources(declared(names));
  const back = await t.stack.up();
  expect(back.summary.resourceChanges?.update).toBe(7);
  t.takeRequests();
});

test("renames happen in place; a storage pool, which Incus cannot rename, is replaced", async () => {
  await setResources(declared({ ...names, ...renamed }));
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ same: 3, update: 5, replace: 1 }); // image name is a label
  expect(q(`/1.0/projects/${names.proj}`)).toBeNull();
  expect(q(`/1.0/projects/${renamed.proj}`)).not.toBeNull();
  expect(q(inP(`/1.0/profiles/${renamed.prof}`))).not.toBeNull();
  expect(q(`/1.0/networks/${renamed.net}`)).not.toBeNull();
  expect(q(`/1.0/storage-pools/${names.pool}`)).toBeNull();
  expect(q(`/1.0/storage-pools/${renamed.pool}`)).not.toBeNull();
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${renamed.vol}`))).not.toBeNull();
  const inst = q(inP(`/1.0/instances/${renamed.inst}`));
  expect(inst.status).toBe("Running"); // stopped for the rename, started again
  expect(inst.profiles).toEqual([renamed.prof]);
  expect(q(inP(`/1.0/instances/${names.inst}`))).toBeNull();
  t.takeRequests();
  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 9 });
  expect(t.writes(t.takeRequests())).toEqual([]);
});

test("what Incus cannot change in place is replaced: new image content, a volume's content type", async () => {
  const n = { ...names, ...renamed };
  const oldFp = q(inP(`/1.0/images/aliases/${names.alias}`)).target;
  await setResources(declared(n, { vol: { contentType: "block" } }, variantTarball));
  const up = await t.stack.up();
  // the image (new content), the instance made from it, and the volume
  expect(up.summary.resourceChanges).toMatchObject({ replace: 3 });
  const newFp = q(inP(`/1.0/images/aliases/${names.alias}`)).target;
  expect(newFp).not.toBe(oldFp);
  expect(q(inP(`/1.0/images/${oldFp}`))).toBeNull();
  expect(q(inP(`/1.0/instances/${renamed.inst}`)).config["volatile.base_image"]).toBe(newFp);
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${renamed.vol}`)).content_type).toBe("block");
  t.takeRequests();
});

test("drift: hand edits show in preview and up puts the program back; server-computed keys stay", async () => {
  const n = { ...names, ...renamed };
  const program = declared(n, { vol: { contentType: "block" } }, variantTarball);
  incus("profile", "set", renamed.prof, "limits.cpu=4", "user.hand=x", "--project", P);
  incus("project", "set", renamed.proj, "user.note=zz");
  incus("network", "set", renamed.net, "bridge.mtu=1300");
  incus("storage", "volume", "set", "default", renamed.vol, "user.x=9", "--project", P);
  incus("config", "set", renamed.inst, "user.a=9", "--project", P);
  incus("stop", renamed.inst, "--project", P, "--force");
  const preview = await t.stack.preview();
  expect(preview.changeSummary.update).toBe(5);
  expect(preview.stdout).toContain(`config["limits.cpu"]: server has "4", program wants "1"`);
  expect(preview.stdout).toContain(`config["user.hand"]: server has "x", program wants unset`);
  expect(preview.stdout).toMatch(/running: server has false/);
  expect(t.writes(t.takeRequests())).toEqual([]);

  const up = await t.stack.up();
  expect(up.summary.resourceChanges?.update).toBe(5);
  expect(q(inP(`/1.0/profiles/${renamed.prof}`)).config).toEqual(marked({ "limits.cpu": "1" }));
  const proj = q(`/1.0/projects/${renamed.proj}`);
  expect(proj.config["user.note"]).toBe("a");
  expect(Object.keys(proj.config).filter((k) => k.startsWith("features."))).toHaveLength(4);
  expect(q(`/1.0/networks/${renamed.net}`).config["bridge.mtu"]).toBeUndefined();
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${renamed.vol}`)).config["user.x"]).toBe("1");
  const inst = q(inP(`/1.0/instances/${renamed.inst}`));
  expect(inst.config["user.a"]).toBe("1");
  expect(inst.status).toBe("Running");
  expect(inst.config["volatile.idmap.base"]).toBeDefined();
  expect(q(`/1.0/storage-pools/${renamed.pool}`).config.source).toContain(renamed.pool);
  await setResources(program);
  t.takeRequests();
});

test("a concurrent writer during an update keeps its change to what the program does not manage", async () => {
  const n = { ...names, ...renamed };
  // The project's description is not in the program; its ETag covers description and config, so every write
  // the writer lands between our read and our PUT makes Incus answer 412 and the engine re-reads.
  let stop = false;
  let last = "";
  const writer = (async () => {
    for (let i = 0; !stop && i < 400; i++) {
      const value = `writer-${i}`;
      await client.update<{ description: string; config: Record<string, string> }>(
        `/1.0/projects/${renamed.proj}`,
        (live) => ({ description: value, config: live.config }),
        { project: null },
      );
      last = value;
    }
  })();
  await setResources(declared(n, { vol: { contentType: "block" }, proj: { config: { "limits.instances": 9, "user.note": "a" } } }, variantTarball));
  const up = await t.stack.up();
  stop = true;
  await writer;
  expect(up.summary.resourceChanges?.update).toBe(1);
  let proj = q(`/1.0/projects/${renamed.proj}`);
  expect(last).not.toBe("");
  // Incus 6.0.4 checks If-Match apart from the write, so two PUTs that land at the same instant can both pass and
  // one of them is lost (README, "Concurrent writers"). This test races on purpose and sometimes meets it:
  // then the change the program made was lost, and the next up must see that and put it back.
  if (proj.config["limits.instances"] !== "9") {
    const repair = await t.stack.up();
    expect(repair.summary.resourceChanges?.update).toBe(1);
    proj = q(`/1.0/projects/${renamed.proj}`);
  }
  expect(proj.config["limits.instances"]).toBe("9");
  // The writer's change stays: its last value, or the one before when its own last PUT was the one Incus lost.
  const lastIndex = Number(last.slice("writer-".length));
  expect([last, `writer-${lastIndex - 1}`]).toContain(proj.description);
  t.takeRequests();
});

test("refresh after an out-of-band delete drops the object from state; up makes it again", async () => {
  incus("storage", "volume", "delete", "default", renamed.vol, "--project", P);
  incus("network", "delete", renamed.net);
  const refresh = await t.stack.refresh();
  expect(refresh.summary.resourceChanges?.delete).toBe(2);
  const preview = await t.stack.preview();
  expect(preview.changeSummary.create).toBe(2);
  await t.stack.up();
  expect(q(`/1.0/networks/${renamed.net}`)).not.toBeNull();
  expect(q(inP(`/1.0/storage-pools/default/volumes/custom/${renamed.vol}`))).not.toBeNull();
});

test("destroy leaves nothing behind", async () => {
  await t.stack.destroy();
  expect(q(`/1.0/projects/${renamed.proj}`)).toBeNull();
  expect(q(`/1.0/networks/${renamed.net}`)).toBeNull();
  expect(q(`/1.0/storage-pools/${renamed.pool}`)).toBeNull();
  for (const p of [
    `/1.0/profiles/${renamed.prof}`,
    `/1.0/instances/${renamed.inst}`,
    `/1.0/storage-pools/default/volumes/custom/${renamed.vol}`,
    `/1.0/images/aliases/${names.alias}`,
  ]) {
    expect(q(inP(p))).toBeNull();
  }
  expect(q(inP("/1.0/images"))).toEqual([]);
});
