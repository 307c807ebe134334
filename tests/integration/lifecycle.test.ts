// The lifecycle table: the same steps, against the real daemon, for every kind. A kind added later gets the whole
// table by adding one row to `table`: its create args, a change per field, the map keys it can drop, and whether
// Incus can rename it. Each step checks the live object through the incus CLI, not through the provider.
//   create → no-op (no write) → each field changed in place → "" and null → each field removed → drift shown and
//   reverted → rename → out-of-band delete, refresh, re-create → adopt (the preview says what adopting changes) → delete
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kinds, type KindName } from "pulumi-incus/provider";
import { BUSYBOX_ALIAS, BUSYBOX_TARBALL, closeConnections, dropIfPresent, dropProject, incus, query, queryWrite, rand, requestLog, Resource, variantTarball } from "./kinds-harness";

type State = Record<string, unknown>;
jest.setTimeout(600_000);
const log = requestLog();
const project = `pit-life-${rand()}`;
const q = `?project=${project}`;

interface Row {
  kind: KindName;
  /** Create args (name and project added by the table). */
  base: State;
  /** One override per field, each changing that field in place. */
  changes: State[];
  /** The field drift is made in (a map with `user.*` keys, or a scalar: see driftValue), and the fields that can be dropped from the program. */
  driftField: string;
  /** For a scalar driftField: the value set by hand. */
  driftValue?: unknown;
  removable: string[];
  renamable: boolean;
  scoped: boolean;
  /** Makes an object of this kind outside the provider (for adopt); `name` is free. */
  makeByHand(name: string): void;
  /** Objects outside the table's project: the API path of the one named `name`, for cleanup after a failed step. */
  dropPath?(name: string): string;
  /** What the row's objects live in (a zone for its records): made before the row, removed after it. */
  parent?: { make(): void; drop(): void };
  /** Makes the parents a child kind needs (an instance, a volume) in the table's project, before the row runs. */
  setUp?(): void;
}

/** The busybox tarball with another release: its own fingerprint, so the Image row never meets the test image. */
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-life-"));
const IMAGE_FILE = variantTarball(scratch, "lifecycle");

const NO_ADDRESSES = { "ipv4.address": "none", "ipv6.address": "none" };

/** ACLs, zones and their records live in the default project here, like bridges (the table's project has neither feature). */
const ZONE = `life-${rand()}.example.internal`;
const RULE_SSH = { action: "allow", state: "enabled", protocol: "tcp", source: "10.0.0.0/8,192.168.0.0/16", destination_port: "22" };
const RULE_DROP = { action: "drop", state: "logged", destination: "198.51.100.0/24", description: "no test net" };
/** Parents of the child kinds' rows, and the test image's fingerprint (an image's is the sha256 of its tarball). */
const PARENT = `life-parent-${rand()}`;
const BUSYBOX_FP = createHash("sha256").update(fs.readFileSync(BUSYBOX_TARBALL)).digest("hex");
const [T1, T2, T3] = ["2031-01-01T00:00:00Z", "2032-02-02T00:00:00Z", "2033-03-03T00:00:00Z"];

const table: Row[] = [
  {
    kind: "Project",
    base: { description: "d1", config: { "limits.containers": "3", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "limits.containers": "4", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: false,
    makeByHand: (name) => queryWrite("POST", "/1.0/projects", { name, description: "by hand", config: { "user.hand": "1" } }),
  },
  {
    kind: "Profile",
    base: { description: "d1", config: { "limits.cpu": "1", "user.a": "1" }, devices: { d1: { type: "none" } } },
    changes: [{ description: "d2" }, { config: { "limits.cpu": "2", "user.a": "1" } }, { devices: { d1: { type: "none" }, d2: { type: "none" } } }],
    driftField: "config",
    removable: ["description", "config", "devices"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => queryWrite("POST", `/1.0/profiles${q}`, { name, description: "by hand", config: { "user.hand": "1" } }),
  },
  {
    kind: "Network",
    base: { description: "d1", config: { ...NO_ADDRESSES, "bridge.mtu": "1400", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { ...NO_ADDRESSES, "bridge.mtu": "1450", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: false, // bridges live in the default project (other projects may only hold OVN networks)
    makeByHand: (name) => queryWrite("POST", "/1.0/networks", { name, description: "by hand", config: { ...NO_ADDRESSES, "user.hand": "1" } }),
  },
  {
    kind: "StoragePool",
    base: { driver: "dir", description: "d1", config: { "rsync.bwlimit": "10", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "rsync.bwlimit": "20", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: false,
    makeByHand: (name) => queryWrite("POST", "/1.0/storage-pools", { name, driver: "dir", description: "by hand", config: { "user.hand": "1" } }),
  },
  {
    kind: "StorageVolume",
    base: { pool: "default", description: "d1", config: { size: "10MiB", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { size: "20MiB", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => queryWrite("POST", `/1.0/storage-pools/default/volumes/custom${q}`, { name, description: "by hand", config: { "user.hand": "1" } }),
  },
  {
    kind: "Image",
    base: { file: IMAGE_FILE, properties: { "user.a": "1", "user.b": "2" }, public: false },
    changes: [{ properties: { "user.a": "3", "user.b": "2" } }, { public: true }, { profiles: [] }],
    driftField: "properties",
    removable: ["properties", "public", "profiles"],
    renamable: false,
    scoped: true,
    // The table's own image is there already (same content, same fingerprint): adopt takes that one.
    makeByHand: () => undefined,
  },
  {
    kind: "Instance",
    base: { image: BUSYBOX_ALIAS, description: "d1", config: { "user.a": "1", "limits.memory": "64MiB" }, devices: { d1: { type: "none" } } },
    changes: [{ description: "d2" }, { config: { "user.a": "1", "limits.memory": "96MiB" } }, { devices: { d1: { type: "none" }, d2: { type: "none" } } }],
    driftField: "config",
    removable: ["description", "config", "devices"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => incus("create", BUSYBOX_ALIAS, name, "--project", project, "-c", "user.hand=1"),
  },
  {
    kind: "NetworkAcl",
    base: { description: "d1", ingress: [RULE_SSH], config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { config: { "user.a": "3", "user.b": "2" } }, { ingress: [RULE_SSH, RULE_DROP] }, { egress: [RULE_DROP] }],
    driftField: "config",
    removable: ["description", "ingress", "egress", "config"],
    renamable: true,
    scoped: false,
    makeByHand: (name) => queryWrite("POST", "/1.0/network-acls", { name, description: "by hand", config: { "user.hand": "1" } }),
    dropPath: (name) => `/1.0/network-acls/${name}`,
  },
  {
    kind: "NetworkZone",
    base: { description: "d1", config: { "dns.nameservers": "ns1.example.internal", "user.a": "1" } },
    changes: [{ description: "d2" }, { config: { "dns.nameservers": "ns2.example.internal", "user.a": "1" } }],
    driftField: "config",
    removable: ["description", "config"],
    renamable: false,
    scoped: false,
    makeByHand: (name) => queryWrite("POST", "/1.0/network-zones", { name, description: "by hand", config: { "user.hand": "1" } }),
    dropPath: (name) => `/1.0/network-zones/${name}`,
  },
  {
    kind: "NetworkZoneRecord",
    base: { zone: ZONE, description: "d1", entries: [{ type: "A", value: "10.1.2.3" }], config: { "user.a": "1", "user.b": "2" } },
    changes: [{ description: "d2" }, { entries: [{ type: "A", value: "10.1.2.4" }, { type: "TXT", value: "v=1", ttl: 300 }] }, { config: { "user.a": "2", "user.b": "2" } }],
    driftField: "config",
    removable: ["description", "entries", "config"],
    renamable: false,
    scoped: false,
    makeByHand: (name) => queryWrite("POST", `/1.0/network-zones/${ZONE}/records`, { name, description: "by hand", config: { "user.hand": "1" } }),
    dropPath: (name) => `/1.0/network-zones/${ZONE}/records/${name}`,
    parent: { make: () => queryWrite("POST", "/1.0/network-zones", { name: ZONE }), drop: () => dropIfPresent(`/1.0/network-zones/${ZONE}`) },
  },
  {
    kind: "InstanceSnapshot",
    base: { instance: PARENT, expiresAt: T1 },
    changes: [{ expiresAt: T2 }],
    driftField: "expiresAt",
    driftValue: T3,
    removable: ["expiresAt"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => incus("snapshot", "create", PARENT, name, "--project", project),
    setUp: () => incus("create", BUSYBOX_ALIAS, PARENT, "--project", project),
  },
  {
    kind: "StorageVolumeSnapshot",
    base: { pool: "default", volume: PARENT, description: "d1", expiresAt: T1 },
    changes: [{ description: "d2" }, { expiresAt: T2 }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description", "expiresAt"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => incus("storage", "volume", "snapshot", "create", "default", PARENT, name, "--project", project),
    setUp: () => incus("storage", "volume", "create", "default", PARENT, "--project", project),
  },
  {
    kind: "ImageAlias",
    base: { target: BUSYBOX_FP, description: "d1" },
    changes: [{ description: "d2" }],
    driftField: "description",
    driftValue: "by hand",
    removable: ["description"],
    renamable: true,
    scoped: true,
    makeByHand: (name) => incus("image", "alias", "create", name, BUSYBOX_FP, "--project", project),
  },
];

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: {} });
  // The project's own default profile gets a root disk, as a new project's does not have one.
  queryWrite("PUT", `/1.0/profiles/default${q}`, { description: "", config: {}, devices: { root: { type: "disk", path: "/", pool: "default" } } });
  incus("image", "import", BUSYBOX_TARBALL, "--project", project, "--alias", BUSYBOX_ALIAS);
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** What the server has for one of the program's fields (its API name), via the CLI. */
function liveField(kind: KindName, live: State, field: string): unknown {
  const api = (kinds[kind].fields as Record<string, { api?: string }>)[field]?.api ?? field;
  return live[api];
}

describe.each(table)("$kind", (row) => {
  const tag = rand();
  const name = row.kind === "Network" ? `pl${tag}` : `life-${tag}`;
  const where = (args: State) => (row.scoped ? { ...args, project } : args);
  const r = new Resource(row.kind, where({ name, ...row.base }));
  /** The live object as the CLI sees it. */
  const live = (): State => {
    const id = r.id.split("?")[0];
    return query(`${id}${row.scoped ? q : ""}`) as State;
  };
  /** The server has every field the program declares (map fields: every declared key, and no dropped key). */
  const expectServerHas = (args: State, dropped: Record<string, string[]> = {}) => {
    const l = live();
    for (const [field, want] of Object.entries(args)) {
      if (!(field in kinds[row.kind].fields) || field === "type") continue;
      const have = liveField(row.kind, l, field);
      if (want && typeof want === "object" && !Array.isArray(want)) expect({ field, have }).toEqual({ field, have: expect.objectContaining(want as State) });
      else expect({ field, have }).toEqual({ field, have: want });
    }
    for (const [field, keys] of Object.entries(dropped)) for (const k of keys) expect(Object.keys(liveField(row.kind, l, field) as State)).not.toContain(k);
  };
  /** A no-op: diff says unchanged, and nothing but reads was sent. */
  const expectNoOp = async () => {
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  };

  beforeAll(() => row.parent?.make());
  beforeAll(() => row.setUp?.());
  afterAll(() => {
    // Whatever a failed step left behind.
    for (const n of [name, `${name}-r`]) {
      if (row.kind === "Project" || row.kind === "StoragePool" || row.kind === "Network") dropIfPresent(`/1.0/${row.kind === "Project" ? "projects" : row.kind === "Network" ? "networks" : "storage-pools"}/${n}`);
      if (row.dropPath) dropIfPresent(row.dropPath(n));
    }
    row.parent?.drop();
  });

  it("create: the server gets what the program declares", async () => {
    await r.create();
    expectServerHas(r.args);
  });

  it("no-op: a second up sends no write", expectNoOp);

  it("each field changed in place", async () => {
    for (const change of row.changes) {
      const args = { ...r.args, ...change };
      expect(await r.up(args)).toEqual({ changes: true });
      expectServerHas(args);
      await expectNoOp();
    }
  });

  it('"" and null mean "not set": a key set to null or "" goes, and then nothing more is written', async () => {
    const field = row.driftField;
    if (row.driftValue !== undefined) {
      // No map field: only the top-level half applies.
      await r.up({ ...r.args, description: null });
      await expectNoOp();
      return;
    }
    const map = r.args[field] as State;
    const [first, second] = Object.keys(map).filter((k) => k.startsWith("user."));
    const withUnset = { ...r.args, [field]: { ...map, [first]: null, ...(second ? { [second]: "" } : {}) } };
    await r.up(withUnset);
    expectServerHas({}, { [field]: [first, ...(second ? [second] : [])] });
    await expectNoOp();
    // A top-level field set to "" or null is not declared: it keeps no hold on the server.
    await r.up({ ...withUnset, description: null });
    await expectNoOp();
  });

  it("each field removed from the program is reset to Incus's unset value", async () => {
    await r.up(where({ name, ...row.base }));
    const args = { ...r.args };
    for (const field of row.removable) delete args[field];
    expect(await r.up(args)).toEqual({ changes: true });
    const l = live();
    for (const field of row.removable) {
      const fs = (kinds[row.kind].fields as Record<string, { empty?: unknown; fromLive?: (v: unknown) => unknown }>)[field];
      // In the program's form (a record's empty entry list is `null` on the server).
      const have = fs.fromLive ? fs.fromLive(liveField(row.kind, l, field)) : liveField(row.kind, l, field);
      if (fs.empty && typeof fs.empty === "object" && !Array.isArray(fs.empty)) {
        // Maps: none of the program's keys is left (keys the server keeps for itself may remain).
        for (const k of Object.keys((row.base[field] ?? {}) as State)) expect({ field, k, have: (have as State)[k] }).toEqual({ field, k, have: undefined });
      } else {
        expect({ field, have }).toEqual({ field, have: fs.empty });
      }
    }
    await expectNoOp();
  });

  it("drift made by hand is shown and reverted", async () => {
    await r.up(where({ name, ...row.base }));
    const l = live();
    const field = row.driftField;
    if (row.driftValue !== undefined) {
      const api = (kinds[row.kind].fields as Record<string, { api?: string }>)[field]?.api ?? field;
      queryWrite("PUT", `${r.id.split("?")[0]}${row.scoped ? q : ""}`, { ...l, [api]: row.driftValue });
      expect(await r.diff()).toEqual({ changes: true });
      expect(r.printed.join("\n")).toContain(`${field}: server has ${JSON.stringify(row.driftValue)}, program wants ${JSON.stringify(row.base[field])}`);
      await r.up();
      expectServerHas(r.args);
      await expectNoOp();
      return;
    }
    const key = Object.keys(row.base[field] as State).find((k) => k.startsWith("user."))!;
    const api = field;
    const body = { ...l, [api]: { ...(l[api] as State), [key]: "by-hand", "user.hand": "x" } };
    queryWrite("PUT", `${r.id.split("?")[0]}${row.scoped ? q : ""}`, body);
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain(`${field}["${key}"]: server has "by-hand", program wants "${(row.base[field] as State)[key]}"`);
    expect(r.printed.join("\n")).toContain(`${field}["user.hand"]: server has "x", program wants unset`);
    await r.up();
    expectServerHas(r.args, { [field]: ["user.hand"] });
    await expectNoOp();
  });

  it("rename (where Incus can) is in place", async () => {
    if (!row.renamable) return;
    const oldId = r.id;
    expect(await r.up({ ...r.args, name: `${name}-r` })).toEqual({ changes: true });
    expect(query(`${oldId.split("?")[0]}${row.scoped ? q : ""}`)).toBeUndefined();
    expect(query(`${oldId.split("?")[0].replace(/[^/]+$/, `${name}-r`)}${row.scoped ? q : ""}`)).toBeDefined();
    // Pulumi keeps the id; the engine finds the object by the name in state.
    expect(await r.up({ ...r.args, name })).toEqual({ changes: true });
    await expectNoOp();
  });

  it("out-of-band delete: refresh drops it, and the next up creates it again", async () => {
    const path = `${r.id.split("?")[0]}${row.scoped ? q : ""}`;
    if (row.kind === "Instance") incus("delete", "--force", name, "--project", project);
    else queryWrite("DELETE", path);
    expect(await r.read()).toEqual({});
    await r.create();
    expectServerHas(r.args);
  });

  it("adopt: the preview says what adopting changes; up takes the object over without re-creating it", async () => {
    const other = row.kind === "Network" ? `pa${tag}` : `adopt-${tag}`;
    row.makeByHand(other);
    try {
      const adopted = new Resource(row.kind, where({ ...row.base, name: other, adopt: true }));
      const lines: string[] = [];
      const spy = jest.spyOn(console, "log").mockImplementation((l) => void lines.push(String(l)));
      try {
        await adopted.check();
      } finally {
        spy.mockRestore();
      }
      expect(lines.join("\n")).toMatch(/exists and will be adopted: /);
      // Keys the object had before it was adopted and the program does not name stay the user's.
      expect(lines.join("\n")).not.toContain(`["user.hand"]`);
      if (row.base.description !== undefined) expect(lines.join("\n")).toMatch(/description: server has "[^"]*", program wants "d1"/);
      log.take();
      await adopted.create();
      // No create request: the existing object was taken over, and what the user had set stays.
      expect(log.takeWrites().filter((w) => w.startsWith("POST ") && !w.includes("/state") && !w.includes("/aliases"))).toEqual([]);
      if (row.kind !== "Image" && row.driftValue === undefined) {
        const l = query(`${adopted.id.split("?")[0]}${row.scoped ? q : ""}`) as State;
        expect(l[row.driftField]).toMatchObject({ "user.hand": "1", ...(row.base[row.driftField] as State) });
      }
      await adopted.delete();
    } finally {
      if (row.dropPath) dropIfPresent(row.dropPath(other));
      if (row.kind === "Project" || row.kind === "StoragePool" || row.kind === "Network") {
        dropIfPresent(`/1.0/${row.kind === "Project" ? "projects" : row.kind === "Network" ? "networks" : "storage-pools"}/${other}`);
      }
    }
  });

  it("delete removes it", async () => {
    await r.delete();
    expect(query(`${r.id.split("?")[0]}${row.scoped ? q : ""}`)).toBeUndefined();
  });
});
