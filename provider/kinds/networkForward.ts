// Network forward: a child of a network, in the network's project (features.networks), identified by its listen
// address; `name` is only a Pulumi label. It cannot be renamed or moved, so a new network or address replaces it.
// Its PUT ignores If-Match in 6.0 (a stale ETag is accepted), so updates are guarded by read-compare-write. The network needs a
// parseable IPv4/IPv6 address (Incus refuses forwards on a bridge whose address is `none`).
import { z } from "zod";
import { configMap, objectName } from "../engine/inputs";
import { defineKind, liveString } from "../engine/kind";
import { description, encode, scopedFields } from "./common";
import { canonicalPort, canonicalPorts, ipAddress, listenAddress, portList } from "./netPorts";

export const forwardPort = z
  .strictObject({
    protocol: z.enum(["tcp", "udp"]).describe("The protocol forwarded."),
    listen_port: portList.describe("Listen ports or ranges (e.g. `80`, `8000-8010,9000`)."),
    target_address: ipAddress.describe("The address traffic is sent to (inside the network's subnet)."),
    target_port: portList.optional().describe("Target ports or ranges. Default: the listen ports."),
    description: z.string().max(4096).optional().describe("Free-text description of the port."),
  })
  .transform(canonicalPort);

export const networkForwardSchema = z.strictObject({
  ...scopedFields(),
  name: objectName.describe("A forward is identified by its network and listen address, not by a name. Default: the Pulumi logical name."),
  network: objectName.describe("The network the forward belongs to."),
  listenAddress: listenAddress.describe("The address the forward listens on; it identifies the forward in its network."),
  description,
  config: configMap.optional().describe("Forward config, e.g. `target_address` (where ports not listed go) and `user.*` keys."),
  ports: z.array(forwardPort).optional().describe("Port forwards, in order; the list is kept exactly (a port left out goes). Default: none."),
});
export type NetworkForwardInputs = z.output<typeof networkForwardSchema>;

export const networkForward = defineKind({
  type: "NetworkForward",
  schema: networkForwardSchema,
  scoped: true,
  path: (i) => `/1.0/networks/${encode(i.network)}/forwards/${encode(i.listenAddress)}`,
  feature: "features.networks",
  identity: ["network", "listenAddress"],
  renamable: false,
  nameIsLabel: true,
  listable: true,
  listKey: { input: "listenAddress", api: "listen_address" },
  title: (i) => `${i.listenAddress} on network "${i.network}"`,
  put: { ignoresIfMatch: true },
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {} },
    ports: { mode: "update", empty: [], fromLive: canonicalPorts },
  },
  createBody: (i) => ({ listen_address: i.listenAddress, description: i.description, config: i.config, ports: i.ports }),
  outputKeys: ["location"],
  outputs: (live) => ({ location: liveString(live.location) }),
  docs: {
    summary:
      "A network forward: traffic to a listen address (and ports) sent on to addresses inside a network. Identified by network and listen address; changes to ports, config and description are made in place, guarded against concurrent writers by reading again just before the write (Incus 6.0 ignores If-Match here).",
    outputs: {
      location: "The cluster member holding the forward (`none` outside a cluster).",
    },
  },
  example: {
    args: { name: "web", network: "br0", listenAddress: "192.0.2.10" },
    program: `
const forward = new incus.NetworkForward("web", {
  network: br0.name,
  listenAddress: "192.0.2.10",
  ports: [{ protocol: "tcp", listen_port: "80", target_address: "192.0.2.20" }],
});
`,
  },
});
