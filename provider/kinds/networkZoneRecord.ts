// Network zone record: a child of a zone (identity: zone + name), in the zone's project. Its entries are a typed
// list kept exactly; Incus cannot rename a record or move it to another zone, so either replaces it.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind } from "../engine/kind";
import { description, encode, scopedFields } from "./common";
import { zoneName } from "./networkZone";

export const zoneEntry = z
  .strictObject({
    type: z
      .string()
      .regex(/^[A-Z][A-Z0-9]*$/, "a DNS record type in capitals (A, AAAA, CNAME, TXT, …)")
      .describe("The DNS record type (A, AAAA, CNAME, MX, SRV, TXT, …)."),
    value: z.string().min(1, "must not be empty").describe("The record's value, as it appears in the zone (e.g. an address)."),
    ttl: z.number().int().min(0).optional().describe("Time to live in seconds. Default: Incus's (0: the zone's default)."),
  })
  .transform(canonicalEntry);

type Entry = Record<string, unknown>;

/** Incus answers an unset TTL as 0; the program leaves it out. Both sides drop it. */
function canonicalEntry<T extends Entry>(e: T): T {
  return Object.fromEntries(Object.entries(e).filter(([k, v]) => v !== undefined && v !== null && !(k === "ttl" && v === 0))) as T;
}

export const networkZoneRecordSchema = z.strictObject({
  ...scopedFields(),
  zone: zoneName.describe("The zone the record belongs to."),
  description,
  entries: z.array(zoneEntry).optional().describe("The record's entries, kept exactly (an entry left out goes). Default: none."),
  config: configMap.optional().describe("Record config (`user.*` keys)."),
});
export type NetworkZoneRecordInputs = z.output<typeof networkZoneRecordSchema>;

export const networkZoneRecord = defineKind({
  type: "NetworkZoneRecord",
  schema: networkZoneRecordSchema,
  scoped: true,
  path: (i) => `/1.0/network-zones/${encode(i.zone)}/records/${encode(i.name)}`,
  feature: "features.networks.zones",
  identity: ["zone"],
  renamable: false,
  listable: true,
  title: (i) => `"${i.name}" in zone "${i.zone}"`,
  fields: {
    description: { mode: "update", empty: "" },
    entries: { mode: "update", empty: [], fromLive: (v) => (Array.isArray(v) ? v.map((e) => canonicalEntry(e as Entry)) : []) },
    config: { mode: "update", empty: {} },
  },
  docs: {
    summary: "A record in a network zone (e.g. `www` with an A entry). Identified by zone and name; entries, description and config change in place.",
    outputs: {},
  },
  example: {
    args: { name: "www", zone: "lab.example.internal", entries: [{ type: "A", value: "192.0.2.10" }] },
    program: `
const www = new incus.NetworkZoneRecord("www", {
  zone: zone.name,
  entries: [{ type: "A", value: "192.0.2.10" }],
});
`,
  },
});
