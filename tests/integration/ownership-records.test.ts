// The marks of objects with no map of their own, kept in the server's config (engine/ownership.ts), against the real
// daemon: a single-key PATCH keeps the server's other keys; the record lives while the object does; a refused create
// leaves no record claiming someone else's object; Project.deleteContents removes the records of what it deletes.
import { deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { closeConnections, incus, query, rand, Resource } from "./kinds-harness";

const P = `pi-rec-${rand()}`;
const OWNER = `organization/app/dev/5f0c3a8e-0000-4000-8000-${rand()}000000::urn:pulumi:dev::app::pulumi-nodejs:dynamic/incus:StorageVolumeSnapshot::snap`;
const records = () =>
  Object.entries(query<{ config: Record<string, string> }>("/1.0")!.config).filter(
    ([k, v]) => k.startsWith("user.pulumi-incus.mark.") && v.startsWith(OWNER.split("::")[0]),
  );

beforeAll(() => {
  incus("project", "create", P, "-c", "features.storage.volumes=true", "-c", "features.images=false", "-c", "features.profiles=false");
  incus("storage", "volume", "create", "default", "data", "--project", P);
  incus("storage", "volume", "create", "default", "other", "--project", P);
  incus("storage", "volume", "snapshot", "create", "default", "other", "handmade", "--project", P);
});

afterAll(async () => {
  await deleteProjectAndContents(new IncusClient(), P).catch(() => undefined);
  await closeConnections();
});

test("a snapshot's mark is recorded while it exists, next to the server's own keys, and removed by its delete", async () => {
  const before = query<{ config: Record<string, string> }>("/1.0")!.config;
  const snap = new Resource("StorageVolumeSnapshot", { project: P, pool: "default", volume: "data", name: "s1", __owner: OWNER });
  const outs = await snap.create();
  const [record, ...more] = records();
  expect(more).toEqual([]);
  expect(record[1]).toBe(`${OWNER} #${outs.__claim}`);
  const { [record[0]]: _mine, ...rest } = query<{ config: Record<string, string> }>("/1.0")!.config;
  expect(rest).toEqual(before);
  await snap.delete();
  expect(records()).toEqual([]);
});

test("a create refused because someone else's object has the name leaves no record", async () => {
  const snap = new Resource("StorageVolumeSnapshot", { project: P, pool: "default", volume: "other", name: "handmade", __owner: OWNER });
  await expect(snap.create()).rejects.toThrow(/already exists; set `adopt: true`/);
  expect(records()).toEqual([]);
});

test("Project.deleteContents removes the records of the objects it deletes", async () => {
  const snap = new Resource("StorageVolumeSnapshot", { project: P, pool: "default", volume: "data", name: "s2", __owner: OWNER });
  await snap.create();
  expect(records()).toHaveLength(1);
  await deleteProjectAndContents(new IncusClient(), P);
  expect(query(`/1.0/projects/${P}`)).toBeUndefined();
  expect(records()).toEqual([]);
});
