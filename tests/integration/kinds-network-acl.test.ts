// Network ACL against the real daemon, in the default project (bridges live there, and an ACL is attached only to
// networks and NICs of its own project). The lifecycle table covers create/update/reset/drift/rename/adopt/delete;
// here: what is special to ACLs (rule normalisation, attachment to a bridge and to a NIC, in-use refusals, the 400
// "already exists", bad rules named at check).
import { closeConnections, dropIfPresent, incus, query, rand, rejection, requestLog, Resource } from "./kinds-harness";

const acl = `pit-acl-${rand()}`;
const other = `pit-acl-${rand()}`;
const bridge = `pia${rand()}`;
const profile = `pit-aclp-${rand()}`;
const log = requestLog();
const NO_ADDRESSES = { "ipv4.address": "none", "ipv6.address": "none" };

afterAll(async () => {
  log.restore();
  await closeConnections();
  dropIfPresent(`/1.0/profiles/${profile}`);
  dropIfPresent(`/1.0/networks/${bridge}`);
  for (const n of [acl, `${acl}-r`, other]) dropIfPresent(`/1.0/network-acls/${n}`);
});

describe("rules", () => {
  const r = new Resource("NetworkAcl", {
    name: acl,
    description: "web",
    // Spaces after commas, an empty field and no state: Incus stores the short form, and so does the provider.
    ingress: [{ action: "allow", source: "10.0.0.0/8 , 192.168.0.0/16", protocol: "tcp", destination_port: "80, 443", icmp_type: "" }],
    egress: [{ action: "reject", state: "logged", destination: "198.51.100.0/24", description: "not there" }],
  });

  it("bad rules are named at check, before any request", async () => {
    log.take();
    const bad = new Resource("NetworkAcl", {
      name: acl,
      ingress: [
        { action: "permit", state: "on" },
        { action: "allow", sourcePort: "22" },
      ],
    });
    const err = await rejection(bad.check());
    expect(err.message).toContain("ingress[0].action");
    expect(err.message).toContain("ingress[0].state");
    expect(err.message).toContain("sourcePort");
    expect(log.take()).toEqual([]);
  });

  it("create stores the rules; the server's short form is no change, so a second up writes nothing", async () => {
    await r.create();
    expect(query(`/1.0/network-acls/${acl}`)).toMatchObject({
      description: "web",
      ingress: [{ action: "allow", state: "enabled", source: "10.0.0.0/8,192.168.0.0/16", protocol: "tcp", destination_port: "80,443" }],
      egress: [{ action: "reject", state: "logged", destination: "198.51.100.0/24", description: "not there" }],
    });
    log.take();
    expect(await r.diff()).toEqual({ changes: false });
    expect(log.take()).toEqual([`GET /1.0/network-acls/${acl}`]);
  });

  it("a changed rule is one PUT of the whole object (never PATCH, which crashes the handler)", async () => {
    log.take();
    const ingress = [...(r.args.ingress as object[]), { action: "drop", protocol: "icmp4", icmp_type: "8" }];
    expect(await r.up({ ...r.args, ingress })).toEqual({ changes: true });
    expect(r.printed.join("\n")).toContain("ingress: server has");
    expect(log.takeWrites()).toEqual([`PUT /1.0/network-acls/${acl}`]);
    expect(query(`/1.0/network-acls/${acl}`).ingress).toHaveLength(2);
    expect(await r.diff()).toEqual({ changes: false });
  });

  it("a rule changed by hand is shown and put back", async () => {
    incus("network", "acl", "rule", "remove", acl, "egress", "action=reject");
    expect(await r.diff()).toEqual({ changes: true });
    expect(r.printed.join("\n")).toMatch(/egress: server has \[\], program wants \[\{"action":"reject"/);
    await r.up();
    expect(query(`/1.0/network-acls/${acl}`).egress).toEqual([{ action: "reject", state: "logged", destination: "198.51.100.0/24", description: "not there" }]);
  });

  it("already exists (a 400 for ACLs) is named, with the way out", async () => {
    const err = await rejection(new Resource("NetworkAcl", { name: acl }).create());
    expect(err.message).toBe(
      `NetworkAcl "${acl}" in project "default": it already exists; set \`adopt: true\` to manage the existing object, or choose another name`,
    );
  });

  it("attached to a bridge and to a NIC: usedBy says so; Incus refuses renaming or deleting it while in use", async () => {
    const net = new Resource("Network", { name: bridge, config: { ...NO_ADDRESSES, "security.acls": acl } });
    await net.create();
    const prof = new Resource("Profile", { name: profile, devices: { eth0: { type: "nic", network: bridge, "security.acls": acl } } });
    await prof.create();
    expect((await r.read()).props?.usedBy).toEqual(expect.arrayContaining([`/1.0/networks/${bridge}`, `/1.0/profiles/${profile}`]));
    const renaming = await rejection(r.up({ ...r.args, name: `${acl}-r` }));
    expect(renaming.message).toMatch(/Cannot rename an ACL that is in use/);
    const deleting = await rejection(r.delete());
    expect(deleting.message).toMatch(/^NetworkAcl "pit-acl-[0-9a-f]+" in project "default": .*in use/);
    await prof.delete();
    await net.delete();
    // Free again: the rename goes through in place.
    r.args = { ...r.args, name: acl };
    expect(await r.up({ ...r.args, name: `${acl}-r` })).toEqual({ changes: true });
    expect(query(`/1.0/network-acls/${acl}-r`)).toBeDefined();
  });

  it("delete removes it", async () => {
    await r.delete();
    expect(query(`/1.0/network-acls/${acl}-r`)).toBeUndefined();
  });
});

describe("adopt", () => {
  it("takes over an ACL made by hand without a create request, keeping what the program does not name", async () => {
    incus("network", "acl", "create", other, "user.hand=1", "--description", "by hand");
    const adopted = new Resource("NetworkAcl", { name: other, adopt: true, ingress: [{ action: "allow", state: "enabled" }] });
    log.take();
    await adopted.create();
    expect(log.takeWrites()).toEqual([`PUT /1.0/network-acls/${other}`]);
    expect(query(`/1.0/network-acls/${other}`)).toMatchObject({
      description: "by hand",
      config: { "user.hand": "1" },
      ingress: [{ action: "allow", state: "enabled" }],
    });
    await adopted.delete();
    expect(query(`/1.0/network-acls/${other}`)).toBeUndefined();
  });
});
