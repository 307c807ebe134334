// The network kinds (ACL, forward, zone, zone record) around one bridge, through the real Pulumi CLI and the real
// daemon: up, a second up that changes nothing and writes nothing, an edit made in place (rules, ports, entries, a
// description), destroy. The bridge has a private subnet with NAT, DHCP and IPv6 off; no traffic is sent.
import * as path from "node:path";
import { incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(600_000);

const prefix = `pnk${uniqueSuffix().slice(-7)}`;
const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${1 + Math.floor(Math.random() * 250)}`;
const listen = `192.0.2.${2 + Math.floor(Math.random() * 250)}`;
const zone = `${prefix}.example.internal`;
const paths = {
  acl: `/1.0/network-acls/${prefix}-acl`,
  zone: `/1.0/network-zones/${zone}`,
  record: `/1.0/network-zones/${zone}/records/www`,
  bridge: `/1.0/networks/${prefix}`,
  forward: `/1.0/networks/${prefix}/forwards/${listen}`,
};
let t: TestStack;

beforeAll(async () => {
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "network-kinds"), { prefix, subnet, listenAddress: listen });
});
afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
});

test("up, a second up with no writes, an edit in place, destroy", async () => {
  const up = await t.stack.up();
  expect(up.summary.resourceChanges).toEqual({ create: 7 }); // the stack, its identity and five objects
  expect(incusJson(paths.bridge)?.config).toMatchObject({ "security.acls": `${prefix}-acl`, "dns.zone.forward": zone, "ipv4.address": `${subnet}.1/24` });
  expect(incusJson(paths.acl)).toMatchObject({ ingress: [{ action: "allow", state: "enabled", protocol: "tcp", destination_port: "22" }] });
  expect(incusJson(paths.record)?.entries).toEqual([{ type: "A", value: `${subnet}.5` }]);
  expect(incusJson(paths.forward)?.ports).toEqual([{ protocol: "tcp", listen_port: "80", target_address: `${subnet}.5`, target_port: "80", description: "" }]);
  expect(up.outputs.forwardId.value).toBe(paths.forward);
  expect(up.outputs.aclUsedBy.value).toEqual([]); // read when the ACL was made, before the bridge used it
  t.takeRequests();

  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 7 });
  expect(t.writes(t.takeRequests())).toEqual([]);

  await t.stack.setConfig("edited", { value: "true" });
  const edit = await t.stack.up();
  expect(edit.summary.resourceChanges).toEqual({ same: 3, update: 4 });
  expect(t.writes(t.takeRequests()).sort()).toEqual([`PUT ${paths.acl}`, `PUT ${paths.forward}`, `PUT ${paths.record}`, `PUT ${paths.zone}`].sort());
  expect(incusJson(paths.acl)?.ingress).toEqual([
    { action: "allow", state: "enabled", protocol: "tcp", destination_port: "22,443" },
    { action: "drop", state: "logged", source: "198.51.100.0/24" },
  ]);
  expect(incusJson(paths.forward)?.ports).toHaveLength(2);
  expect(incusJson(paths.record)?.entries).toEqual([
    { type: "A", value: `${subnet}.5` },
    { type: "TXT", value: "v=1", ttl: 300 },
  ]);
  expect(incusJson(paths.zone)?.description).toBe("lab zone, edited");

  const unchanged = await t.stack.up();
  expect(unchanged.summary.resourceChanges).toEqual({ same: 7 });
  expect(t.writes(t.takeRequests())).toEqual([]);

  await t.stack.destroy();
  for (const p of Object.values(paths)) expect(incusJson(p)).toBeNull();
});
