// Instance snapshot: a child of an instance (identity: project + instance + name). Incus 6.0 lets only the expiry
// change (PUT {expires_at}; the zero time clears it) and renames in place (POST {name}); every write is an
// operation. Whether it is stateful is fixed at create. Snapshots have no description in 6.0.
import { z } from "zod";
import { hostName } from "../engine/inputs";
import { defineKind, liveString } from "../engine/kind";
import { encode, expiresAt, NO_EXPIRY, normaliseTime, scopedFields } from "./common";

export const instanceSnapshotSchema = z.strictObject({
  ...scopedFields(),
  instance: hostName.describe("The instance the snapshot is taken of. A change replaces the snapshot (a new one is taken)."),
  stateful: z
    .boolean()
    .default(false)
    .describe(
      "Also save the running instance's memory (needs CRIU on the server and `migration.stateful=true` on the instance). A change replaces the snapshot.",
    ),
  expiresAt: expiresAt
    .optional()
    .describe("When Incus deletes the snapshot (RFC 3339, e.g. `2030-01-01T00:00:00Z`). Default: never. Changed in place; dropping it clears the expiry."),
});
export type InstanceSnapshotInputs = z.output<typeof instanceSnapshotSchema>;

export const instanceSnapshot = defineKind({
  type: "InstanceSnapshot",
  schema: instanceSnapshotSchema,
  scoped: true,
  path: (i) => `/1.0/instances/${encode(i.instance)}/snapshots/${encode(i.name)}`,
  identity: ["instance"],
  renamable: true,
  title: (i) => `"${i.name}" of instance "${i.instance}"`,
  fields: {
    stateful: { mode: "replace", empty: false },
    expiresAt: { mode: "update", api: "expires_at", empty: NO_EXPIRY, fromLive: normaliseTime },
  },
  createBody: (i) => ({ name: i.name, stateful: i.stateful, expires_at: i.expiresAt ?? null }),
  outputKeys: ["createdAt", "size"],
  outputs: (live) => ({
    createdAt: liveString(live.created_at),
    // -1 where the storage driver cannot tell (dir).
    size: typeof live.size === "number" ? live.size : -1,
  }),
  docs: {
    summary:
      "A snapshot of an instance, taken when the resource is created. Only its expiry changes in place; it can be renamed. Lives in the instance's project.",
    outputs: {
      createdAt: "When Incus took the snapshot (RFC 3339).",
      size: "Disk space the snapshot uses in bytes (`-1` where the storage driver cannot tell, e.g. `dir`).",
    },
  },
  example: {
    args: { name: "before-upgrade", instance: "web" },
    program: `
const snap = new incus.InstanceSnapshot("before-upgrade", { instance: web.name });
`,
  },
});
