// Network: project-scoped (features.networks). The type is fixed at creation. On create Incus fills in addresses
// and NAT for keys the program leaves out (or sets to "auto"); the engine learns those as the server's.
import { z } from "zod";
import { configMap, interfaceName } from "../engine/inputs";
import { defineKind, liveMap, liveString, liveStrings } from "../engine/kind";
import { scopedFields, description, encode, volatileKey } from "./common";

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
  feature: "features.networks",
  renamable: true,
  fields: {
    type: { mode: "replace", empty: "bridge" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: volatileKey },
  },
  outputKeys: ["managedConfig", "status", "usedBy"],
  outputs: (live) => ({ managedConfig: liveMap(live.config), status: liveString(live.status), usedBy: liveStrings(live.used_by) }),
});
