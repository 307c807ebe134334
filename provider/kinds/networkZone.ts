// Network zone: a DNS zone Incus serves (records of its instances, plus records the program adds). Project-scoped
// under `features.networks.zones`; works without OVN. Incus cannot rename a zone, so a new name replaces it.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveStrings } from "../engine/kind";
import { description, encode, scopedFields } from "./common";

/** A DNS zone name: dot-separated labels of letters, digits and '-'. */
export const zoneName = z
  .string()
  .min(1, "must not be empty")
  .max(255, "at most 255 characters")
  .regex(/^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/, "must be a DNS name (e.g. `lab.example.internal`)");

export const networkZoneSchema = z.strictObject({
  ...scopedFields(zoneName),
  description,
  config: configMap
    .optional()
    .describe("Zone config, e.g. `dns.nameservers`, `network.nat`, `peers.<name>.address`, `peers.<name>.key` (mark keys secret), `user.*`."),
});
export type NetworkZoneInputs = z.output<typeof networkZoneSchema>;

export const networkZone = defineKind({
  type: "NetworkZone",
  schema: networkZoneSchema,
  scoped: true,
  path: (i) => `/1.0/network-zones/${encode(i.name)}`,
  feature: "features.networks.zones",
  // LXD 5.0 keeps every zone in the default project.
  fieldRequires: { project: { extension: "projects_networks_zones", when: (i) => i.project !== undefined && i.project !== "default" } },
  renamable: false,
  listable: true,
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {} },
  },
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  docs: {
    summary:
      "A network zone: a DNS zone Incus serves for networks that name it (`dns.zone.forward` / `dns.zone.reverse.*` in the network's config). Lives in a project (`features.networks.zones`); a new name replaces it.",
    outputs: {
      usedBy: "API paths of the networks that use the zone.",
    },
    table: { identity: "(a DNS name)", replaced: "(Incus cannot rename zones)" },
  },
  example: {
    args: { name: "lab.example.internal" },
    program: `
const zone = new incus.NetworkZone("lab", { name: "lab.example.internal" });
`,
  },
});
