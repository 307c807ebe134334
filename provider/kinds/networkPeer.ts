// Network peer: a child of an OVN network, in the network's project (features.networks). A local peer links two OVN
// networks (each side declares its peer; the first stays Pending until the other side exists, then both are Created);
// a remote peer reaches another OVN deployment through a NetworkIntegration (OVN-IC). Incus cannot rename a peer or
// change what it targets, so those replace it. Its PUT ignores If-Match in 6.0: updates are compared before the write.
import { z } from "zod";
import { isNotFound } from "../client";
import { configMap, objectName } from "../engine/inputs";
import { defineKind, type Live, liveString, liveStrings } from "../engine/kind";
import { description, encode, scopedFields } from "./common";

export const networkPeerSchema = z.strictObject({
  ...scopedFields(),
  network: objectName.describe("The OVN network the peer belongs to."),
  type: z
    .enum(["local", "remote"])
    .optional()
    .describe("`local`: another OVN network of this Incus; `remote`: a network behind a NetworkIntegration. Default: `local`."),
  targetProject: objectName.optional().describe("For a local peer: the project of the target network. Default: the peer's own project."),
  targetNetwork: objectName.optional().describe("For a local peer: the OVN network to peer with (it needs a peer back to this network)."),
  targetIntegration: objectName.optional().describe("For a remote peer: the NetworkIntegration (OVN-IC) to peer through."),
  description,
  config: configMap.optional().describe("Peer config: `user.*` keys."),
});
export type NetworkPeerInputs = z.output<typeof networkPeerSchema>;

const peerPath = (i: { network: string; name: string }) => `/1.0/networks/${encode(i.network)}/peers/${encode(i.name)}`;

/** Why a peer is Pending, in words: Incus completes a local peering only once the target network peers back. */
function pendingNote(live: Live): string | undefined {
  if (live.status !== "Pending") return undefined;
  const target = `${liveString(live.target_project) || "default"}/${liveString(live.target_network)}`;
  return `Pending: waiting for network ${target} to declare a peer back to this network (mutual peering); Incus completes both then`;
}

export const networkPeer = defineKind({
  type: "NetworkPeer",
  schema: networkPeerSchema,
  scoped: true,
  requires: ["network_peer"],
  path: (i) => peerPath(i),
  feature: "features.networks",
  identity: ["network"],
  renamable: false,
  listable: true,
  title: (i) => `peer "${i.name}" of network "${i.network}"`,
  put: { ignoresIfMatch: true },
  fields: {
    type: { mode: "replace", empty: "local" },
    targetProject: { mode: "replace", api: "target_project" },
    targetNetwork: { mode: "replace", api: "target_network", empty: "" },
    targetIntegration: { mode: "replace", api: "target_integration", empty: "" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {} },
  },
  // The preview (diff) and `up` (create, update, refresh) say why a peer waits: a pending peer is not an error.
  async verify(ctx, inputs, olds) {
    if (!olds) return;
    try {
      const note = pendingNote((await ctx.client.get<Live>(peerPath(inputs), { project: ctx.project })).value);
      if (note) console.log(`${ctx.type} ${inputs.name}: ${note}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
  async details(ctx, live) {
    const note = pendingNote(live);
    if (note) console.log(`${ctx.type} ${liveString(live.name)}: ${note}`);
    return live;
  },
  outputKeys: ["status", "usedBy"],
  outputs: (live) => ({ status: liveString(live.status), usedBy: liveStrings(live.used_by) }),
  docs: {
    summary:
      "A network peer of an OVN network: a local peer links two OVN networks (both sides declare one; the first is `Pending` until the other exists, then both are `Created`, and the preview says so), a remote peer reaches another OVN deployment through a NetworkIntegration. Lives in the network's project (`features.networks`). Changes to description and config are made in place, guarded against concurrent writers by reading again just before the write (Incus 6.0 ignores If-Match here).",
    outputs: {
      status: "`Pending` (the target network has no peer back yet), `Created` or `Errored`, as of the last create, update or refresh.",
      usedBy: "API paths of what uses the peer.",
    },
    table: { replaced: "(Incus cannot rename peers)" },
  },
  example: {
    args: { name: "to-ovn2", network: "ovn1", targetNetwork: "ovn2" },
    program: `
const ovn1 = new incus.Network("ovn1", {
  type: "ovn",
  config: { network: "uplink", "ipv4.address": "10.213.1.1/24", "ipv6.address": "none" },
});
const ovn2 = new incus.Network("ovn2", {
  type: "ovn",
  config: { network: "uplink", "ipv4.address": "10.213.2.1/24", "ipv6.address": "none" },
});
// Pending until the second exists; then both are Created.
const there = new incus.NetworkPeer("to-ovn2", { network: ovn1.name, targetNetwork: ovn2.name });
const back = new incus.NetworkPeer("to-ovn1", { network: ovn2.name, targetNetwork: ovn1.name });
`,
  },
});
