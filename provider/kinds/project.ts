// Project: global. Its config carries features.*, which every PUT must repeat (omitting one turns it off and, for
// features.profiles, deletes the project's default profile), so those are server keys carried over from live.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveStrings } from "../engine/kind";
import { globalFields, description, encode } from "./common";

export const projectSchema = z.strictObject({
  ...globalFields(),
  description,
  config: configMap.optional().describe("Project config, e.g. `features.images`, `features.profiles`, `limits.instances`; numbers and booleans are sent as strings. `features.*` keys the program does not set keep their values."),
  deleteContents: z
    .boolean()
    .optional()
    .describe("On destroy, also delete everything inside the project (instances, images, volumes, profiles). Default: `false` (destroy fails while the project holds objects). A change is saved and sends nothing to Incus."),
});
export type ProjectInputs = z.output<typeof projectSchema>;

export const project = defineKind({
  type: "Project",
  schema: projectSchema,
  scoped: false,
  path: (i) => `/1.0/projects/${encode(i.name)}`,
  renamable: true,
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: (k) => k.startsWith("features.") },
  },
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  // The `default` project cannot be deleted: destroy puts back its description and clears the config (features stay).
  resetOnDelete: (i) => (i.name === "default" ? { description: "Default Incus project", config: {} } : undefined),
  async delete(ctx, inputs) {
    await ctx.client.delete(`/1.0/projects/${encode(inputs.name)}`, {
      project: null,
      query: inputs.deleteContents ? { force: true } : undefined,
    });
  },
});

/** Docs of the SDK class and its outputs (field docs are on the schema); scripts/generate-sdk.ts reads them. */
export const projectDocs = {
  summary: "An Incus project: a namespace for instances, images, profiles, networks and volumes, as its `features.*` config says.",
  outputs: { usedBy: "API paths of the objects inside the project." },
};
