// Profile: project-scoped (features.profiles). Config and devices are stored as given.
import { z } from "zod";
import { configMap, deviceMap } from "../engine/inputs";
import { defineKind, liveStrings } from "../engine/kind";
import { scopedFields, description, encode, guestApiKey } from "./common";

export const profileSchema = z.strictObject({
  ...scopedFields(),
  description,
  config: configMap
    .optional()
    .describe(
      "Incus config keys and values (e.g. `limits.cpu`); numbers and booleans are sent as strings. Keys the program never set are left alone; keys it stops setting are removed.",
    ),
  devices: deviceMap
    .optional()
    .describe('Devices by name, each a `type` (disk, nic, proxy, …) and its options, e.g. `{ root: { type: "disk", path: "/", pool: "default" } }`.'),
});
export type ProfileInputs = z.output<typeof profileSchema>;

export const profile = defineKind({
  type: "Profile",
  schema: profileSchema,
  scoped: true,
  path: (i) => `/1.0/profiles/${encode(i.name)}`,
  feature: "features.profiles",
  onServer: (server, i) => guestApiKey(server, i),
  configKeys: { config: "instance" },
  renamable: true,
  listable: true,
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: (k) => k.startsWith("volatile.") },
    devices: { mode: "update", empty: {} },
  },
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  // Every project with features.profiles has a `default` profile that Incus will not delete: destroy empties it.
  resetOnDelete: (i, ctx) =>
    i.name === "default"
      ? { description: ctx.project === "default" ? "Default Incus profile" : `Default Incus profile for project ${ctx.project}`, config: {}, devices: {} }
      : undefined,
  docs: {
    summary: "An Incus profile: config and devices that instances listing it inherit. Lives in a project (`features.profiles`).",
    outputs: { usedBy: "API paths of the instances (and other objects) that use the profile." },
  },
  example: {
    args: { name: "web", config: { "limits.cpu": "2" } },
    program: `
const web = new incus.Profile("web", {
  config: { "limits.cpu": 2, "limits.memory": "512MiB" },
  devices: { root: { type: "disk", path: "/", pool: "default" } },
});
`,
  },
});
