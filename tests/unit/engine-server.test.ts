// The engine's read-diff-write loop against a scripted stand-in for the daemon (tests/unit/fake-incus.ts):
// renames, drift, ETag races and adoption, with every request the engine sends recorded.
import { KindEngine, kinds } from "pulumi-incus/provider";
import { FakeIncus, fakeIncusForFile } from "./fake-incus";

type State = Record<string, unknown>;
const profiles = new KindEngine(kinds.Profile as any);
const PATH = "/1.0/profiles/web";

const daemon = fakeIncusForFile();
let fake: FakeIncus;
beforeAll(() => {
  fake = daemon.current;
});

/** Stored state of a profile "web" in the default project, talking to the fake daemon. */
const state = (over: State = {}): State => ({ name: "web", project: "default", socket: fake.socket, config: { "limits.cpu": "2" }, ...over });
const live = (over: State = {}): State => ({ name: "web", description: "", config: { "limits.cpu": "2" }, devices: {}, used_by: [], ...over });

beforeEach(() => {
  fake.requests.length = 0;
  fake.beforeWrite = undefined;
  fake.remove(PATH);
  fake.remove("/1.0/profiles/web2");
  fake.set(PATH, live());
});

const requests = () => fake.requests.map((r) => `${r.method} ${r.path}`);

describe("diff", () => {
  it("reports no change when only unmanaged fields and server keys differ, with one GET", async () => {
    fake.set(PATH, live({ description: "by hand", devices: { d: { type: "none" } }, config: { "limits.cpu": "2", "volatile.x": "1" } }));
    expect(await profiles.diff(PATH, state(), state())).toEqual({ changes: false });
    expect(requests()).toEqual([`GET ${PATH}`]);
  });

  it("reports drift and prints what differs", async () => {
    fake.set(PATH, live({ config: { "limits.cpu": "4", "user.hand": "x" } }));
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      expect(await profiles.diff(PATH, state(), state())).toEqual({ changes: true });
      const printed = log.mock.calls.map((c) => String(c[0]));
      expect(printed).toEqual([
        `Profile "web" in project "default": config["limits.cpu"]: server has "4", program wants "2"`,
        `Profile "web" in project "default": config["user.hand"]: server has "x", program wants unset`,
      ]);
    } finally {
      log.mockRestore();
    }
  });

  it("a new name on a renamable kind is an in-place change, read under the old name", async () => {
    expect(await profiles.diff(PATH, state(), state({ name: "web2" }))).toEqual({ changes: true });
    expect(requests()).toEqual([`GET ${PATH}`]);
  });

  it("an object deleted behind our back is re-created under the same name", async () => {
    fake.remove(PATH);
    expect(await profiles.diff(PATH, state(), state())).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
  });
});

describe("update", () => {
  it("PUTs the full body with the ETag of the read just before", async () => {
    const etagSeen = () => fake.requests.find((r) => r.method === "PUT")?.ifMatch;
    fake.set(PATH, live({ description: "by hand", config: { "limits.cpu": "1" } }));
    const res = await profiles.update(PATH, state(), state({ config: { "limits.cpu": "3" } }));
    expect(requests()).toEqual([`GET ${PATH}`, `PUT ${PATH}`, `GET ${PATH}`]);
    expect(etagSeen()).toMatch(/^"?etag-\d+"?$/);
    expect(fake.requests[1].body).toEqual({ description: "by hand", config: { "limits.cpu": "3" }, devices: {} });
    expect(fake.get(PATH)?.config).toEqual({ "limits.cpu": "3" });
    expect(res.outs).toMatchObject({ name: "web", config: { "limits.cpu": "3" }, usedBy: [] });
  });

  it("writes nothing when the object already matches", async () => {
    await profiles.update(PATH, state(), state());
    expect(fake.writes()).toEqual([]);
  });

  it("on 412 reads again and keeps what the other writer set in fields it does not manage", async () => {
    let raced = false;
    fake.beforeWrite = (req) => {
      if (req.method !== "PUT" || raced) return;
      raced = true; // someone else edits the description between our GET and our PUT
      fake.set(PATH, { ...fake.get(PATH), description: "theirs" });
    };
    await profiles.update(PATH, state(), state({ config: { "limits.cpu": "8" } }));
    const puts = fake.requests.filter((r) => r.method === "PUT");
    expect(puts).toHaveLength(2);
    expect(puts[0].ifMatch).not.toEqual(puts[1].ifMatch);
    expect(puts[1].body).toMatchObject({ description: "theirs", config: { "limits.cpu": "8" } });
    expect(fake.get(PATH)).toMatchObject({ description: "theirs", config: { "limits.cpu": "8" } });
  });

  it("stops retrying when the other writer already wrote what the program wants", async () => {
    fake.beforeWrite = (req) => {
      if (req.method === "PUT") fake.set(PATH, live({ config: { "limits.cpu": "8" } }));
    };
    await profiles.update(PATH, state(), state({ config: { "limits.cpu": "8" } }));
    expect(fake.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
  });

  it("gives up after a bounded number of 412s, naming the object", async () => {
    fake.beforeWrite = (req) => {
      if (req.method === "PUT") fake.set(PATH, { ...fake.get(PATH) }); // a new ETag before every PUT
    };
    const err = await profiles.update(PATH, state(), state({ config: { "limits.cpu": "8" } })).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^Profile "web" in project "default": .*gave up after 9 attempts.*nothing was written.*ETag doesn't match/);
    expect(fake.requests.filter((r) => r.method === "PUT").length).toBe(9);
  });

  it("renames with POST {name} on the old path, then converges the new one", async () => {
    fake.beforeWrite = (req) => {
      // Incus's rename: the object moves to the new name.
      if (req.method === "POST" && req.path === PATH) {
        fake.set("/1.0/profiles/web2", { ...fake.get(PATH), name: "web2" });
        fake.remove(PATH);
        return "handled";
      }
    };
    const res = await profiles.update(PATH, state(), state({ name: "web2", config: { "limits.cpu": "5" } }));
    expect(res.outs).toMatchObject({ name: "web2", config: { "limits.cpu": "5" } });
    expect(fake.requests.find((r) => r.method === "POST")).toMatchObject({ path: PATH, body: { name: "web2" } });
    expect(fake.requests.find((r) => r.method === "PUT")?.path).toBe("/1.0/profiles/web2");
  });
});

describe("create", () => {
  it("fails clearly when the object exists and adopt is not set", async () => {
    const err = await profiles.create(state()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^Profile "web" in project "default": it already exists; set `adopt: true`/);
    expect(fake.writes().map((r) => r.method)).toEqual(["POST"]);
  });

  it("adopts an existing object that matches without writing to it", async () => {
    const res = await profiles.create(state({ adopt: true }));
    expect(res.id).toBe(PATH);
    expect(fake.writes().filter((r) => r.method !== "POST")).toEqual([]);
  });

  it("adopts an existing object that differs by writing the program's fields", async () => {
    fake.set(PATH, live({ description: "by hand", config: { "limits.cpu": "1" } }));
    await profiles.create(state({ adopt: true }));
    expect(fake.writes().map((r) => r.method)).toEqual(["PUT"]); // adopt looks first: no create request
    expect(fake.get(PATH)).toMatchObject({ description: "by hand", config: { "limits.cpu": "2" } });
  });
});

describe("read and delete", () => {
  it("read returns {} for an object that is gone", async () => {
    fake.remove(PATH);
    expect(await profiles.read(PATH, state())).toEqual({});
  });

  it("read repairs stored inputs from the live object, leaving unset fields unset", async () => {
    fake.set(PATH, live({ description: "by hand", config: { "limits.cpu": "4", "user.hand": "x", "volatile.y": "1" } }));
    const res = await profiles.read(PATH, state());
    expect(res.inputs?.config).toEqual({ "limits.cpu": "4", "user.hand": "x" });
    expect(res.inputs).not.toHaveProperty("description");
    expect(res.props).toMatchObject({ config: { "limits.cpu": "4", "user.hand": "x" }, usedBy: [] });
  });

  it("a lookup by id (Kind.get) returns every field as the server has it (flagged, so a refresh reads it by id)", async () => {
    fake.set(PATH, live({ description: "by hand", config: { "limits.cpu": "4", "volatile.y": "1" }, devices: { d: { type: "none" } } }));
    const res = await profiles.read(PATH, { socket: fake.socket });
    expect(res).toEqual({
      id: PATH,
      props: {
        name: "web",
        project: "default",
        description: "by hand",
        config: { "limits.cpu": "4" },
        devices: { d: { type: "none" } },
        usedBy: [],
        __readById: true,
      },
    });
  });

  it("delete sends DELETE, and succeeds when the object is already gone", async () => {
    await profiles.delete(PATH, state());
    expect(requests()).toEqual([`DELETE ${PATH}`]); // no read first: a kind without a delete hook needs none
    fake.requests.length = 0;
    await profiles.delete(PATH, state()); // the 404 means it is gone already
    expect(requests()).toEqual([`DELETE ${PATH}`]);
  });
});

describe("network delete (the Network kind's own)", () => {
  const networks = new KindEngine(kinds.Network as any);
  const NET = "/1.0/networks/br-gone";
  const net = { name: "br-gone", project: "default", socket: "" };
  const deletes = () => fake.requests.filter((r) => r.method === "DELETE").length;
  afterEach(() => {
    fake.beforeDelete = undefined;
    fake.errorText = undefined;
    fake.remove(NET);
  });

  it("retries the answer Incus 6.0.4 gives while an instance's veth vanishes, then deletes", async () => {
    fake.set(NET, { name: "br-gone", type: "bridge", description: "", config: {} });
    let failures = 2;
    fake.beforeDelete = () => (failures-- > 0 ? 500 : undefined);
    fake.errorText = "Failed to delete bridge children interfaces: Failed to get bridge children: no such file";
    await networks.delete(NET, { ...net, socket: fake.socket });
    expect(fake.get(NET)).toBeUndefined();
    expect(deletes()).toBe(3);
  });

  it("fails at once on any other answer, naming the network", async () => {
    fake.set(NET, { name: "br-gone", type: "bridge", description: "", config: {} });
    fake.beforeDelete = () => 500;
    fake.errorText = "The network is currently in use";
    await expect(networks.delete(NET, { ...net, socket: fake.socket })).rejects.toThrow(
      'Network "br-gone" in project "default": DELETE /1.0/networks/br-gone: The network is currently in use (HTTP 500)',
    );
    expect(fake.get(NET)).toBeDefined();
    expect(deletes()).toBe(1);
  });
});
