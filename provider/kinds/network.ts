// Network: project-scoped (features.networks). The type is fixed at creation. On create Incus fills in addresses
// and NAT for keys the program leaves out (or sets to "auto"); the engine learns those as the server's.
import { z } from "zod";
import { isNotFound } from "../client";
import { configMap, interfaceName } from "../engine/inputs";
import { defineKind, liveMap, liveString, liveStrings } from "../engine/kind";
import { createOnMembers, memberConfigField, memberConfigProblem, perMemberContent } from "../engine/members";
import { scopedFields, description, encode, volatileKey } from "./common";

/** The keys Incus keeps per cluster member (6.0). */
const MEMBER_KEYS = ["bridge.external_interfaces", "parent", "bgp.ipv4.nexthop", "bgp.ipv6.nexthop"] as const;

export const networkSchema = z.strictObject({
  ...scopedFields(interfaceName),
  type: z.enum(["bridge", "macvlan", "sriov", "ovn", "physical"]).optional().describe("The network type. Default: `bridge`."),
  description,
  config: configMap
    .optional()
    .describe(
      "Network config, e.g. `ipv4.address`, `ipv6.address`, `bridge.mtu`; numbers and booleans are sent as strings. Addresses and NAT that Incus picks at create stay the server's unless the program sets them.",
    ),
  memberConfig: memberConfigField("network", MEMBER_KEYS),
});
export type NetworkInputs = z.output<typeof networkSchema>;

const networkPath = (i: { name: string }) => `/1.0/networks/${encode(i.name)}`;

export const network = defineKind({
  type: "Network",
  schema: networkSchema,
  scoped: true,
  path: (i) => networkPath(i),
  feature: "features.networks",
  renamable: true,
  fields: {
    type: { mode: "replace", empty: "bridge" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: volatileKey },
  },
  // On a cluster: pending on each member, then created; each member's keys compared and written with `?target=`.
  async create(ctx, inputs) {
    const body = { name: inputs.name, type: inputs.type, description: inputs.description, config: inputs.config };
    await createOnMembers(ctx, "/1.0/networks", { name: inputs.name, type: inputs.type }, body, inputs.memberConfig);
  },
  content: perMemberContent<NetworkInputs>(networkPath, MEMBER_KEYS),
  conflictAtCheck: (ctx, inputs) => memberConfigProblem(ctx, inputs.memberConfig),
  async verify(ctx, inputs) {
    const problem = await memberConfigProblem(ctx, inputs.memberConfig);
    if (problem) throw new Error(`${problem.property}: ${problem.reason}`);
  },
  outputKeys: ["managedConfig", "status", "usedBy"],
  outputs: (live) => ({ managedConfig: liveMap(live.config), status: liveString(live.status), usedBy: liveStrings(live.used_by) }),
  // Incus 6.0.4 lists a bridge's child interfaces before deleting it and fails (HTTP 500) when one of them (an
  // instance's veth) vanishes meanwhile: that answer is transient, so it is retried. A 404 means it is gone already.
  async delete(ctx, inputs) {
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.client.delete(networkPath(inputs), { project: ctx.project });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (attempt >= 5 || !/Failed to delete bridge children interfaces/.test((err as Error).message)) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  },
  docs: {
    summary: "An Incus network (a bridge by default). Lives in a project (`features.networks`); its name is an interface name (at most 15 characters).",
    outputs: {
      managedConfig: "The network's whole config as the server has it, including the addresses Incus picked.",
      status: "The server's status of the network (e.g. `Created`).",
      usedBy: "API paths of the instances and profiles that use the network.",
    },
  },
  example: {
    args: { name: "br0", config: { "ipv4.address": "none", "ipv6.address": "none" } },
    program: `
const br0 = new incus.Network("br0", {
  config: { "ipv4.address": "none", "ipv6.address": "none" },
});
`,
  },
});
