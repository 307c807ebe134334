// Project: global. Its config carries features.*, which every PUT must repeat (omitting one turns it off and, for
// features.profiles, deletes the project's default profile), so those are server keys carried over from live.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { type IncusClient, isNotFound } from "../client";
import { defineKind, type Live, liveMap, liveStrings } from "../engine/kind";
import { dropProjectRecords } from "../engine/ownership";
import { globalFields, description, encode } from "./common";

export const projectSchema = z.strictObject({
  ...globalFields(),
  description,
  config: configMap
    .optional()
    .describe(
      "Project config, e.g. `features.images`, `features.profiles`, `limits.instances`; numbers and booleans are sent as strings. `features.*` keys the program does not set keep their values.",
    ),
  deleteContents: z
    .boolean()
    .optional()
    .describe(
      "On destroy, also delete everything inside the project (instances, images, profiles, volumes, buckets, networks, ACLs, zones), object by object and only what belongs to this project. Default: `false` (destroy fails while the project holds objects). A change is saved and sends nothing to Incus.",
    ),
});
export type ProjectInputs = z.output<typeof projectSchema>;

/**
 * Deletes what lives in the project, object by object, keeping only what the server says belongs to it. Incus's own
 * `DELETE ?force=true` is not used: in a project whose `features.profiles` (images, …) is off it works on the objects
 * Incus serves in their place, the `default` project's (6.0.4 reset the default project's default profile).
 * Order: what uses an object goes before it (instances use profiles, volumes and networks; networks use ACLs and
 * zones). Snapshots, image aliases, bucket keys, forwards and zone records go with the object they belong to.
 */
async function emptyProject(client: IncusClient, name: string): Promise<void> {
  const opts = { project: name };
  const features = liveMap((await client.get<Live>(`/1.0/projects/${encode(name)}`, { project: null })).value.config);
  // A list entry that names no project (a zone in 6.0) is the project's own only when its feature is on.
  const own = async (collection: string, feature?: string) =>
    (await client.list<Live>(collection, opts)).filter((o) => o.project === name || (!o.project && feature !== undefined && features[feature] === "true"));
  const del = (collection: string, o: Live) => client.delete(`${collection}/${encode(String(o.name))}`, opts);
  for (const i of await own("/1.0/instances")) {
    const path = `/1.0/instances/${encode(String(i.name))}`;
    if (i.status !== "Stopped") await client.put(`${path}/state`, { action: "stop", force: true }, opts);
    await client.delete(path, opts);
  }
  for (const i of await own("/1.0/images")) await client.delete(`/1.0/images/${encode(String(i.fingerprint))}`, opts);
  for (const p of await own("/1.0/profiles")) if (p.name !== "default") await del("/1.0/profiles", p);
  const pools = (await client.list<Live>("/1.0/storage-pools", { project: null })).map((p) => `/1.0/storage-pools/${encode(String(p.name))}`);
  for (const pool of pools) {
    // Snapshots are listed as "volume/snapshot" and go with their volume.
    for (const v of await own(`${pool}/volumes/custom`)) if (!String(v.name).includes("/")) await del(`${pool}/volumes/custom`, v);
    for (const b of await own(`${pool}/buckets`, "features.storage.buckets")) await del(`${pool}/buckets`, b);
  }
  for (const n of await own("/1.0/networks")) await del("/1.0/networks", n);
  for (const a of await own("/1.0/network-acls")) await del("/1.0/network-acls", a);
  for (const z of await own("/1.0/network-zones", "features.networks.zones")) await del("/1.0/network-zones", z);
  // The marks the server's config kept for objects without a map of their own (engine/ownership.ts) go with them.
  await dropProjectRecords(client, name);
}

/** Deletes a project and what lives in it, object by object (never Incus's force delete); fine if it is gone. */
export async function deleteProjectAndContents(client: IncusClient, name: string): Promise<void> {
  try {
    await emptyProject(client, name);
    await client.delete(`/1.0/projects/${encode(name)}`, { project: null });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export const project = defineKind({
  type: "Project",
  schema: projectSchema,
  scoped: false,
  path: (i) => `/1.0/projects/${encode(i.name)}`,
  renamable: true,
  configKeys: { config: "project" },
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {}, serverKeys: (k) => k.startsWith("features.") },
  },
  outputKeys: ["usedBy"],
  outputs: (live) => ({ usedBy: liveStrings(live.used_by) }),
  // The `default` project cannot be deleted: destroy puts back its description and clears the config (features stay).
  resetOnDelete: (i) => (i.name === "default" ? { description: "Default Incus project", config: {} } : undefined),
  async delete(ctx, inputs) {
    if (inputs.deleteContents) await emptyProject(ctx.client, inputs.name);
    const path = `/1.0/projects/${encode(inputs.name)}`;
    await ctx.client.delete(path, { project: null }).catch(async (err: Error) => {
      if (!/Only empty projects can be removed/.test(err.message)) throw err;
      // Incus says only that it is not empty: name what is left, and the way out.
      const left = liveStrings((await ctx.client.get<Live>(path, { project: null })).value.used_by)
        .map((u) => u.replace(/^\/1\.0\//, "").replace(/\?.*$/, ""))
        .filter((u) => u !== "profiles/default");
      const what = left.length ? ` (${left.slice(0, 5).join(", ")}${left.length > 5 ? `, and ${left.length - 5} more` : ""})` : "";
      throw new Error(
        inputs.deleteContents
          ? `it still holds objects that deleteContents could not delete${what}; delete them by hand and run again`
          : `it still holds objects${what}; delete them first, or set \`deleteContents: true\` to delete them with the project`,
      );
    });
  },
  docs: {
    summary: "An Incus project: a namespace for instances, images, profiles, networks and volumes, as its `features.*` config says.",
    outputs: { usedBy: "API paths of the objects inside the project." },
    table: { inPlace: "(rename: only when empty, an Incus rule)" },
  },
  example: {
    args: { name: "lab", description: "Lab machines" },
    program: `
const lab = new incus.Project("lab", {
  description: "Lab machines",
  config: { "features.images": false, "limits.instances": 10 },
});
`,
  },
});
