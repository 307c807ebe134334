// Bad input is refused at preview time with a message that names the field, before any request that writes.
// A preview stops at the first resource whose check fails, so each case is a preview of one bad resource.
import * as path from "node:path";
import { programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const s = uniqueSuffix().slice(-8);

/** [kind, args, field the message must name, what else the message must say (optional)] */
const cases: [string, Record<string, unknown>, string, string?][] = [
  ["Project", { name: "bad/name" }, "name"],
  ["Project", { name: `p${s}`, config: { "limits.cpu": { nested: 1 } } }, `config["limits.cpu"]`],
  ["Project", { name: `p${s}`, deleteContents: "yes" }, "deleteContents"],
  ["Project", { name: `p${s}`, descripton: "typo" }, "descripton"],
  ["Profile", { name: `p${s}`, config: { "limits.cpu": [1] } }, `config["limits.cpu"]`],
  ["Profile", { name: `p${s}`, devices: { eth0: { network: "x" } } }, "devices.eth0"],
  // (name: "" is "not set" since issue 9: the SDK then uses the logical name, so it is no longer bad input.)
  ["Profile", { name: "web/v2" }, "name", "must not contain slashes"],
  ["Network", { name: "a-name-longer-than-15" }, "name"],
  ["Network", { name: `n${s}`, type: "vxlan" }, "type"],
  ["Network", { name: `n${s}`, config: { "ipv4.address": ["none"] } }, `config["ipv4.address"]`],
  ["StoragePool", { name: `sp${s}` }, "driver"],
  ["StoragePool", { name: `sp${s}`, driver: "nfs" }, "driver"],
  ["StoragePool", { name: "has space", driver: "dir" }, "name"],
  ["StorageVolume", { name: `v${s}` }, "pool"],
  ["StorageVolume", { name: `v${s}`, pool: "default", contentType: "disk" }, "contentType"],
  ["StorageVolume", { name: `v${s}`, pool: "default", config: { size: {} } }, "config.size"],
  ["Image", { aliases: ["a"] }, "file"],
  ["Image", { file: "/nonexistent/image.tar.gz" }, "file"],
  ["Image", { source: { server: "https://127.0.0.1:1", alias: "a", fingerprint: "0123456789ab" } }, "source"],
  ["Instance", { name: "1bad", image: "x" }, "name"],
  ["Instance", { name: `i${s}` }, "image"],
  ["Instance", { name: `i${s}`, image: "x", stopTimeout: -1 }, "stopTimeout"],
  ["Instance", { name: `i${s}`, image: "x", profiles: "default" }, "profiles"],
  // More from the unit corpus (tests/unit/bad-input-corpus.test.ts), through the real engine.
  ["Instance", { name: `i${s}`, image: "x", stopTimout: 10 }, "stopTimout", "did you mean `stopTimeout`?"],
  ["Instance", { name: `i${s}`, image: "x", imageProtocol: "simplestreams" }, "imageProtocol", "only meaningful with `imageServer`"],
  ["Instance", { name: `i${s}`, image: "x", stopTimeout: 1.5 }, "stopTimeout", "expected int"],
  ["Network", { name: "br_0" }, "name", "must be a DNS label"],
  [
    "Profile",
    { name: `p${s}`, devices: { root: { type: "disk", path: "/", pool: { name: "default" } } } },
    "devices.root.pool",
    "must be a string, number or boolean",
  ],
  ["Project", { name: `p${s}`, config: { "": "1" } }, `config[""]`, "config keys must not be empty"],
  ["Image", { source: { server: "https://127.0.0.1:1", fingerprint: "ABCDEF012345" } }, "source.fingerprint", "a hex fingerprint"],
  ["StorageVolume", { name: `v${s}`, pool: "default", remote: "nowhere", configDir: "/nonexistent/incus-conf" }, "remote", 'Incus remote "nowhere" is not in'],
  ["Project", { name: `p${s}`, remote: "nowhere", configDir: "/nonexistent/incus-conf" }, "remote", 'Incus remote "nowhere" is not in'],
  // Incus deletes an expired snapshot: one with a past expiry would be taken again on every up.
  [
    "InstanceSnapshot",
    { name: `s${s}`, instance: "c1", expiresAt: "2020-01-01T00:00:00Z" },
    "expiresAt",
    "2020-01-01T00:00:00Z is in the past: Incus deletes a snapshot once it expires",
  ],
  [
    "StorageVolumeSnapshot",
    { name: `s${s}`, pool: "default", volume: "v1", expiresAt: "2021-06-01T12:00:00+02:00" },
    "expiresAt",
    "2021-06-01T10:00:00Z is in the past",
  ],
  // The OVN kinds: refused at preview, so no OVN is needed to see them.
  ["NetworkPeer", { name: `p${s}`, network: "ovn1", type: "ovn-ic" }, "type"],
  [
    "NetworkLoadBalancer",
    {
      network: "ovn1",
      listenAddress: "192.0.2.130",
      backends: [{ name: "a", target_address: "10.0.0.2" }],
      ports: [{ protocol: "tcp", listen_port: 80, target_backend: ["b"] }],
    },
    "ports[0].target_backend[0]",
    'names no backend of `backends` ("b")',
  ],
  ["NetworkIntegration", { name: `i${s}`, type: "bgp" }, "type"],
];

const stacks: TestStack[] = [];
afterAll(async () => {
  await Promise.all(stacks.map((t) => t.cleanup().catch(() => undefined)));
});

// Three previews at a time: each is a separate engine run with its own stack.
const groups = Array.from({ length: Math.ceil(cases.length / 3) }, (_, i) => cases.slice(i * 3, i * 3 + 3));

test.each(groups.map((g, i) => [i, g] as const))("group %i: each bad field is named and nothing is written", async (_i, group) => {
  await Promise.all(
    group.map(async ([kind, args, field, says]) => {
      const t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), {
        resources: JSON.stringify([{ kind, name: "bad", args }]),
      });
      stacks.push(t);
      let message = "";
      try {
        await t.stack.preview();
      } catch (err) {
        message = String(err);
      }
      expect(message).toContain(`property ${field} value`);
      expect(message).toMatch(new RegExp(`has a problem: ${field.replace(/[[\]".]/g, "\\$&")}: `));
      if (says) expect(message).toContain(says);
      expect(t.writes(t.takeRequests())).toEqual([]);
    }),
  );
});
