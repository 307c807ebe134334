// Network ACL: project-scoped (features.networks). Its rules are typed lists; a PUT replaces them whole (PATCH is not
// used: in 6.0 it crashes the handler when `config` is left out). Incus drops empty rule fields and the
// spaces after commas in address and port lists, so both sides are brought to that form before they are compared.
// "Already exists" is a 400 here, which the client recognises by its text.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveStrings } from "../engine/kind";
import { description, encode, scopedFields } from "./common";

/** A rule field as Incus stores it: trimmed, no spaces around commas; "" means not set. */
const ruleText = z
  .string()
  .max(4096)
  .transform((s) => s.trim().replace(/\s*,\s*/g, ","));

export const aclRule = z
  .strictObject({
    action: z.enum(["allow", "allow-stateless", "drop", "reject"]).describe("What happens to matching traffic."),
    state: z.enum(["enabled", "disabled", "logged"]).default("enabled").describe("Whether the rule is active, and whether matches are logged."),
    source: ruleText.optional().describe("Sources (comma-separated CIDRs, IP ranges, ACL names or `@internal`/`@external`). Default: any."),
    destination: ruleText.optional().describe("Destinations, in the same form as `source`. Default: any."),
    protocol: z.enum(["icmp4", "icmp6", "tcp", "udp"]).optional().describe("The protocol to match. Default: any."),
    source_port: ruleText.optional().describe("Source ports or ranges (comma-separated), for tcp and udp."),
    destination_port: ruleText.optional().describe("Destination ports or ranges (comma-separated), for tcp and udp."),
    icmp_type: ruleText.optional().describe("ICMP message type, for icmp4 and icmp6."),
    icmp_code: ruleText.optional().describe("ICMP message code, for icmp4 and icmp6."),
    description: z.string().max(4096).optional().describe("Free-text description of the rule."),
  })
  .transform(canonicalRule);

type Rule = Record<string, unknown>;

/** The form Incus stores a rule in: fields that are empty are left out. */
function canonicalRule<T extends Rule>(rule: T): T {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined && v !== null && v !== "")) as T;
}

/** The server's rule list in the program's form. */
const liveRules = (v: unknown): Rule[] => (Array.isArray(v) ? v.map((r) => canonicalRule(r as Rule)) : []);

const rules = (direction: string) =>
  z.array(aclRule).optional().describe(`${direction} rules, in order; the list is kept exactly (a rule left out goes). Default: none.`);

export const networkAclSchema = z.strictObject({
  ...scopedFields(),
  description,
  ingress: rules("Ingress (traffic to the instances)"),
  egress: rules("Egress (traffic from the instances)"),
  config: configMap.optional().describe("ACL config (only `user.*` keys)."),
});
export type NetworkAclInputs = z.output<typeof networkAclSchema>;

/** `allow-stateless` rules need an API extension LXD 5.0 lacks (engine/server.ts). */
const stateless = (field: "ingress" | "egress") => ({
  extension: "network_acl_stateless",
  when: (i: Record<string, unknown>) => ((i[field] ?? []) as { action?: string }[]).some((r) => r?.action === "allow-stateless"),
});

export const networkAcl = defineKind({
  type: "NetworkAcl",
  schema: networkAclSchema,
  scoped: true,
  path: (i) => `/1.0/network-acls/${encode(i.name)}`,
  feature: "features.networks",
  fieldRequires: { ingress: stateless("ingress"), egress: stateless("egress") },
  renamable: true,
  listable: true,
  fields: {
    description: { mode: "update", empty: "" },
    ingress: { mode: "update", empty: [], fromLive: liveRules },
    egress: { mode: "update", empty: [], fromLive: liveRules },
    config: { mode: "update", empty: {} },
  },
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  docs: {
    summary:
      "A network ACL: ingress and egress rules, attached to a bridge (`security.acls` in the network's config) or to an instance's NIC (`security.acls` on the device). Lives in a project (`features.networks`); renamed in place (Incus refuses while it is in use).",
    outputs: {
      usedBy: "API paths of the networks, NICs and ACLs that use this ACL.",
    },
    table: { inPlace: "(name: not while in use, an Incus rule)" },
  },
  example: {
    args: { name: "web", ingress: [{ action: "allow", protocol: "tcp", destination_port: "80,443" }] },
    program: `
const acl = new incus.NetworkAcl("web", {
  ingress: [{ action: "allow", protocol: "tcp", destination_port: "80,443" }],
  egress: [{ action: "reject" }],
});
`,
  },
});
