// Network zones and their records against the real daemon. The lifecycle table covers create/update/reset/drift/
// adopt/delete in the default project; here: a project of its own with `features.networks.zones`, what replaces
// (a zone's or record's new name, a record's new zone), entry normalisation, a zone used by a bridge, bad input.
import { closeConnections, dropIfPresent, dropProject, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

const project = `pit-zone-${rand()}`;
const offProject = `pit-zoneoff-${rand()}`;
const q = `?project=${project}`;
const zone = `z${rand()}.example.internal`;
const zone2 = `z${rand()}.example.internal`;
const bridge = `piz${rand()}`;
const log = requestLog();

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.networks.zones": "true" } });
  queryWrite("POST", "/1.0/projects", { name: offProject, config: {} });
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropIfPresent(`/1.0/networks/${bridge}`);
  for (const z of [zone, zone2]) {
    dropIfPresent(`/1.0/network-zones/${z}${q}`);
    dropIfPresent(`/1.0/network-zones/${z}`);
  }
  dropProject(project);
  dropProject(offProject);
});

describe("zone and records in a project with features.networks.zones", () => {
  const z = new Resource("NetworkZone", { name: zone, project, description: "lab", config: { "dns.nameservers": "ns1.example.internal", "user.a": 1 } });
  const rec = new Resource("NetworkZoneRecord", {
    name: "www",
    project,
    zone,
    entries: [
      { type: "A", value: "10.1.2.3" },
      { type: "TXT", value: "hello", ttl: 0 },
    ],
  });

  it("bad names and entries are named at check, before any request", async () => {
    log.take();
    expect((await rejection(new Resource("NetworkZone", { name: "bad_zone..x", project }).check())).message).toContain("must be a DNS name");
    const bad = await rejection(
      new Resource("NetworkZoneRecord", { name: "www", project, zone, entries: [{ type: "A" }, { type: "a", value: "x", ttl: -1 }] }).check(),
    );
    expect(bad.message).toContain("entries[0].value: required");
    expect(bad.message).toContain("entries[1].type");
    expect(bad.message).toContain("entries[1].ttl");
    expect(log.take()).toEqual([]);
  });

  it("a project without the feature is refused at check (Incus would use the default project's zones)", async () => {
    const err = await rejection(new Resource("NetworkZone", { name: zone, project: offProject }).check());
    expect(err.message).toContain("features.networks.zones turned off");
  });

  it("create in the project; a second up of zone and record writes nothing", async () => {
    await z.create();
    expect(z.id).toBe(`/1.0/network-zones/${zone}${q}`);
    expect(query(`/1.0/network-zones/${zone}${q}`)).toMatchObject({ description: "lab", config: { "dns.nameservers": "ns1.example.internal", "user.a": "1" } });
    // Not in the default project.
    expect(query(`/1.0/network-zones/${zone}`)).toBeUndefined();
    await rec.create();
    expect(rec.id).toBe(`/1.0/network-zones/${zone}/records/www${q}`);
    // A TTL of 0 is Incus's "unset": it stores none, and the provider does not see that as a change.
    expect(query(`/1.0/network-zones/${zone}/records/www${q}`).entries).toEqual([
      { type: "A", value: "10.1.2.3" },
      { type: "TXT", value: "hello" },
    ]);
    log.take();
    expect(await z.diff()).toEqual({ changes: false });
    expect(await rec.diff()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("entries change in place; an entry changed by hand is shown and put back", async () => {
    log.take();
    expect(await rec.up({ ...rec.args, entries: [{ type: "A", value: "10.1.2.4", ttl: 60 }] })).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/network-zones/${zone}/records/www${q}`]);
    incus("network", "zone", "record", "entry", "add", zone, "www", "AAAA", "fd00::1", "--project", project);
    expect(await rec.diff()).toEqual({ changes: true });
    expect(rec.printed.join("\n")).toMatch(
      /^NetworkZoneRecord "www" in zone "z[0-9a-f]+\.example\.internal" in project "pit-zone-[0-9a-f]+": entries: server has .*fd00::1/m,
    );
    await rec.up();
    expect(query(`/1.0/network-zones/${zone}/records/www${q}`).entries).toEqual([{ type: "A", value: "10.1.2.4", ttl: 60 }]);
  });

  it("already exists: named, with the way out (a record's is a 500 UNIQUE error)", async () => {
    const err = await rejection(new Resource("NetworkZoneRecord", { name: "www", project, zone }).create());
    expect(err.message).toBe(
      `NetworkZoneRecord "www" in zone "${zone}" in project "${project}": it already exists; set \`adopt: true\` to manage the existing object, or choose another name`,
    );
  });

  it("Incus cannot rename zones or records: a new name replaces (the new one is made first: the names differ)", async () => {
    expect(await rec.diff({ ...rec.args, name: "www2" })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
    expect(await z.diff({ ...z.args, name: zone2 })).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });

  it("a record moved to another zone is replaced", async () => {
    const z2 = new Resource("NetworkZone", { name: zone2, project });
    await z2.create();
    expect(await rec.up({ ...rec.args, zone: zone2 })).toEqual({ changes: true, replaces: ["zone"], deleteBeforeReplace: true });
    expect(query(`/1.0/network-zones/${zone}/records/www${q}`)).toBeUndefined();
    expect(query(`/1.0/network-zones/${zone2}/records/www${q}`)).toMatchObject({ entries: [{ type: "A", value: "10.1.2.4", ttl: 60 }] });
    await rec.delete();
    await z2.delete();
    expect(query(`/1.0/network-zones/${zone2}${q}`)).toBeUndefined();
  });

  it("delete removes the zone", async () => {
    await z.delete();
    expect(query(`/1.0/network-zones/${zone}${q}`)).toBeUndefined();
  });
});

describe("a zone used by a bridge (default project)", () => {
  it("usedBy lists the network whose dns.zone.forward names it", async () => {
    const z = new Resource("NetworkZone", { name: zone, project: "default" });
    await z.create();
    const net = new Resource("Network", { name: bridge, config: { "ipv4.address": "none", "ipv6.address": "none", "dns.zone.forward": zone } });
    await net.create();
    expect((await z.read()).props?.usedBy).toEqual([`/1.0/networks/${bridge}`]);
    await net.delete();
    await z.delete();
    expect(query(`/1.0/network-zones/${zone}`)).toBeUndefined();
  });
});
