// Network integration: a link to an OVN-IC (interconnection) deployment, which remote NetworkPeers go through. Global
// (not in a project). Creating one only stores its config; a remote peer then needs the IC databases and a gateway
// chassis. Its TLS material (`ovn.ca_cert`, `ovn.client_cert`, `ovn.client_key`) is kept secret in state and messages.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveStrings } from "../engine/kind";
import { description, encode, globalFields } from "./common";

/** Config keys holding TLS material: secret whether or not the program marks them. */
export const INTEGRATION_SECRET_KEYS = ["ovn.ca_cert", "ovn.client_cert", "ovn.client_key"];

export const networkIntegrationSchema = z.strictObject({
  ...globalFields(),
  type: z.enum(["ovn"]).optional().describe("The integration type; Incus 6.0 knows `ovn` (OVN-IC). Default: `ovn`."),
  description,
  config: configMap
    .optional()
    .describe(
      "Integration config: `ovn.northbound_connection` and `ovn.southbound_connection` (the IC databases), `ovn.ca_cert`, `ovn.client_cert`, `ovn.client_key` (kept secret), `ovn.transit.pattern`, `user.*`.",
    ),
});
export type NetworkIntegrationInputs = z.output<typeof networkIntegrationSchema>;

export const networkIntegration = defineKind({
  type: "NetworkIntegration",
  schema: networkIntegrationSchema,
  scoped: false,
  requires: ["network_integrations"],
  path: (i) => `/1.0/network-integrations/${encode(i.name)}`,
  renamable: true,
  listable: true,
  fields: {
    type: { mode: "replace", empty: "ovn" },
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, secretKeys: INTEGRATION_SECRET_KEYS },
  },
  createBody: (i) => ({ name: i.name, type: i.type ?? "ovn", description: i.description, config: i.config }),
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  docs: {
    summary:
      "A network integration: the link to an OVN-IC deployment that remote NetworkPeers (`targetIntegration`) go through. Global (not in a project); renamed in place. Its TLS keys and certificates in `config` are kept secret in state, outputs and messages.",
    outputs: {
      usedBy: "API paths of the peers that use the integration.",
    },
  },
  example: {
    args: {
      name: "ic",
      config: { "ovn.northbound_connection": "unix:/run/ovn/ovn_ic_nb_db.sock", "ovn.southbound_connection": "unix:/run/ovn/ovn_ic_sb_db.sock" },
    },
    program: `
declare const caPem: string, certPem: string, keyPem: string;
const ic = new incus.NetworkIntegration("ic", {
  config: {
    "ovn.northbound_connection": "ssl:192.0.2.50:6645",
    "ovn.southbound_connection": "ssl:192.0.2.50:6646",
    "ovn.ca_cert": caPem,
    "ovn.client_cert": certPem,
    "ovn.client_key": keyPem, // kept secret even as plain text
  },
});
`,
  },
});
