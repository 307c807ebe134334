// A failure half-way: the instance is created, then its start fails. State must record the instance that exists
// (nothing leaked, no duplicate on the next run), and fixing the program must update it in place.
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const s = uniqueSuffix().slice(-8);
const P = `pif-${s}`;
const name = `half-${s}`;
const client = new IncusClient();
let t: TestStack;

function program(config: Record<string, string>) {
  return JSON.stringify([
    {
      kind: "Instance",
      name: "inst",
      args: {
        project: P,
        name,
        image: "pulumi-incus/busybox",
        profiles: [],
        devices: { root: { type: "disk", path: "/", pool: "default" } },
        config,
      },
    },
  ]);
}

beforeAll(async () => {
  // Shares the default project's images, so the test image's alias is usable here.
  await client.post("/1.0/projects", { name: P, config: { "features.images": "false", "features.profiles": "true" } }, { project: null });
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"));
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  await deleteProjectAndContents(client, P).catch(() => undefined);
  await closeAllPools();
});

test("a start failure keeps the created instance in state; fixing the program updates it in place", async () => {
  // LXC accepts this at create and refuses to start with it.
  await t.stack.setConfig("resources", { value: program({ "raw.lxc": "lxc.bogus.key = 1" }) });
  let message = "";
  try {
    await t.stack.up();
  } catch (err) {
    message = String(err);
  }
  expect(message).toContain(`Instance "${name}" in project "${P}" was created but is not ready`);
  expect(message).toContain("Failed to load config file");
  expect(incusJson(`/1.0/instances/${name}?project=${P}`)?.status).toBe("Stopped");

  const state = await t.stack.exportStack();
  const recorded = state.deployment.resources.filter((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/incus:Instance");
  expect(recorded).toHaveLength(1);
  expect(recorded[0].id).toBe(`/1.0/instances/${name}?project=${P}`);

  await t.stack.setConfig("resources", { value: program({ "user.fixed": "yes" }) });
  t.takeRequests();
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
  expect(up.summary.resourceChanges?.create).toBeUndefined();
  const live = incusJson(`/1.0/instances/${name}?project=${P}`);
  expect(live.status).toBe("Running");
  expect(live.config["raw.lxc"]).toBeUndefined();
  expect(live.config["user.fixed"]).toBe("yes");
  expect(t.writes(t.takeRequests()).filter((w) => w.startsWith("POST /1.0/instances?") || w === "POST /1.0/instances")).toEqual([]);

  await t.stack.destroy();
  expect(incusJson(`/1.0/instances/${name}?project=${P}`)).toBeNull();
});

test("what a partial failure records carries the provider's code: destroy works right after it", async () => {
  const other = `${name}-d`;
  await t.stack.setConfig("resources", { value: program({ "raw.lxc": "lxc.bogus.key = 1" }).replace(`"${name}"`, `"${other}"`) });
  await expect(t.stack.up()).rejects.toThrow(/was created but is not ready/);
  const state = await t.stack.exportStack();
  const recorded = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/incus:Instance");
  expect(typeof recorded?.outputs?.__provider).toBe("string");
  await t.stack.destroy();
  expect(incusJson(`/1.0/instances/${other}?project=${P}`)).toBeNull();
});
