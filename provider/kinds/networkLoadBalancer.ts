// Network load balancer: a child of an OVN network, in the network's project (features.networks), identified by its
// listen address (`name` is only a Pulumi label); ports send traffic to named backends (addresses inside the network).
// It cannot be renamed or moved, so a new network or address replaces it. Its PUT ignores If-Match in 6.0: updates
// are compared before the write. The backends' health is read from its `/state`.
import { z } from "zod";
import { isNotFound } from "../client";
import { configMap, objectName } from "../engine/inputs";
import { defineKind, type Live, liveString } from "../engine/kind";
import { description, encode, scopedFields } from "./common";
import { canonicalPort, canonicalPorts, ipAddress, listenAddress, portList } from "./netPorts";

const backend = z
  .strictObject({
    name: objectName.describe("The backend's name, which ports name in `target_backend`."),
    target_address: ipAddress.describe("The backend's address (inside the network's subnet, e.g. an instance's)."),
    target_port: portList.optional().describe("Target ports or ranges. Default: the listen ports."),
    description: z.string().max(4096).optional().describe("Free-text description of the backend."),
  })
  .transform(canonicalPort);

const lbPort = z
  .strictObject({
    protocol: z.enum(["tcp", "udp"]).describe("The protocol balanced."),
    listen_port: portList.describe("Listen ports or ranges (e.g. `80`, `8000-8010`)."),
    target_backend: z.array(objectName).min(1, "must name at least one backend").describe("The backends (by name) traffic is spread over."),
    description: z.string().max(4096).optional().describe("Free-text description of the port."),
  })
  .transform(canonicalPort);

export const networkLoadBalancerSchema = z
  .strictObject({
    ...scopedFields(),
    name: objectName.describe("A load balancer is identified by its network and listen address, not by a name. Default: the Pulumi logical name."),
    network: objectName.describe("The OVN network the load balancer belongs to."),
    listenAddress: listenAddress.describe("The address the load balancer listens on (from the uplink's `ipv4.routes`); it identifies it in its network."),
    description,
    config: configMap.optional().describe("Load balancer config: `user.*` keys."),
    backends: z.array(backend).optional().describe("The backends, in order; the list is kept exactly (a backend left out goes). Default: none."),
    ports: z.array(lbPort).optional().describe("The balanced ports, in order; the list is kept exactly. Default: none."),
  })
  .superRefine((i, ctx) => {
    // Incus refuses a port naming an unknown backend only after the request: said here, naming the field.
    const names = new Set((i.backends ?? []).map((b) => b.name));
    for (const [n, p] of (i.ports ?? []).entries())
      for (const [k, b] of p.target_backend.entries())
        if (!names.has(b)) ctx.addIssue({ code: "custom", path: ["ports", n, "target_backend", k], message: `names no backend of \`backends\` ("${b}")` });
  });
export type NetworkLoadBalancerInputs = z.output<typeof networkLoadBalancerSchema>;

const lbPath = (i: { network: string; listenAddress: string }) => `/1.0/networks/${encode(i.network)}/load-balancers/${encode(i.listenAddress)}`;

export const networkLoadBalancer = defineKind({
  type: "NetworkLoadBalancer",
  schema: networkLoadBalancerSchema,
  scoped: true,
  requires: ["network_load_balancer"],
  path: (i) => lbPath(i),
  feature: "features.networks",
  identity: ["network", "listenAddress"],
  renamable: false,
  nameIsLabel: true,
  listable: true,
  listKey: { input: "listenAddress", api: "listen_address" },
  title: (i) => `load balancer ${i.listenAddress} on network "${i.network}"`,
  put: { ignoresIfMatch: true },
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {} },
    backends: { mode: "update", empty: [], fromLive: canonicalPorts },
    ports: { mode: "update", empty: [], fromLive: canonicalPorts },
  },
  createBody: (i) => ({ listen_address: i.listenAddress, description: i.description, config: i.config, backends: i.backends, ports: i.ports }),
  // The health of the backends is in the load balancer's state, which its own GET does not bring.
  async details(ctx, live, identity) {
    if (!identity.network) return live;
    try {
      const state = await ctx.client.get<Live>(`${lbPath({ network: identity.network, listenAddress: liveString(live.listen_address) })}/state`, {
        project: ctx.project,
      });
      return { ...live, __state: state.value };
    } catch (err) {
      if (isNotFound(err)) return live;
      throw err;
    }
  },
  outputKeys: ["backendHealth", "location"],
  outputs: (live) => ({
    backendHealth: ((live.__state as Live | undefined)?.backend_health ?? {}) as Record<string, unknown>,
    location: liveString(live.location),
  }),
  docs: {
    summary:
      "A network load balancer on an OVN network: traffic to a listen address (and ports) spread over named backends inside the network. Identified by network and listen address; changes to backends, ports, config and description are made in place, guarded against concurrent writers by reading again just before the write (Incus 6.0 ignores If-Match here).",
    outputs: {
      backendHealth: "The health of each backend as OVN reports it (`/state`'s `backend_health`, by backend address); empty when OVN has no health checks.",
      location: "The cluster member holding the load balancer (`none` outside a cluster).",
    },
    outputTypes: { backendHealth: "Record<string, { address: string; ports: { protocol: string; port: number; status: string }[] }>" },
  },
  example: {
    args: { name: "web", network: "ovn1", listenAddress: "192.0.2.130" },
    program: `
const ovn1 = new incus.Network("ovn1", {
  type: "ovn",
  config: { network: "uplink", "ipv4.address": "10.213.1.1/24", "ipv6.address": "none" },
});
const lb = new incus.NetworkLoadBalancer("web", {
  network: ovn1.name,
  listenAddress: "192.0.2.130",
  backends: [
    { name: "a", target_address: "10.213.1.10", target_port: 80 },
    { name: "b", target_address: "10.213.1.11", target_port: 80 },
  ],
  ports: [{ protocol: "tcp", listen_port: 80, target_backend: ["a", "b"] }],
});
`,
  },
});
