// Network: project-scoped (features.networks). The type is fixed at creation. On create Incus fills in addresses
// and NAT for keys the program leaves out; those stay the server's unless the program sets them.
import { z } from "zod";
import { configMap, interfaceName } from "../engine/inputs";
import { defineKind, liveMap, liveString, liveStrings } from "../engine/kind";
import { scopedFields, description, encode, volatileKey } from "./common";

const FILLED_ON_CREATE = new Set(["ipv4.address", "ipv4.nat", "ipv6.address", "ipv6.nat"]);

export const networkSchema = z.strictObject({
  ...scopedFields(interfaceName),
  /** bridge (default), macvlan, sriov, ovn, physical. */
  type: z.enum(["bridge", "macvlan", "sriov", "ovn", "physical"]).optional(),
  description,
  config: configMap.optional(),
});
export type NetworkInputs = z.output<typeof networkSchema>;

export const network = defineKind({
  type: "Network",
  schema: networkSchema,
  scoped: true,
  path: (i) => `/1.0/networks/${encode(i.name)}`,
  renamable: true,
  fields: {
    type: { mode: "replace", empty: "bridge" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: (k) => FILLED_ON_CREATE.has(k) || volatileKey(k) },
  },
  outputKeys: ["managedConfig", "status", "usedBy"],
  outputs: (live) => ({ managedConfig: liveMap(live.config), status: liveString(live.status), usedBy: liveStrings(live.used_by) }),
});
