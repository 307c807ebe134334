// Storage bucket (S3): project-scoped (features.storage.buckets), child of a pool. Incus 6.0 serves a bucket of a
// local pool (dir) through a MinIO server it starts itself, so incusd needs `minio` and `mc` on its PATH
// (scripts/setup-minio.sh). No rename (POST answers 501). Its PUT ignores If-Match: the engine compares before writing.
import { z } from "zod";
import { configMap } from "../engine/inputs";
import { defineKind, liveString } from "../engine/kind";
import { memberTarget } from "../engine/target";
import { description, encode, scopedFields } from "./common";

/** Incus's bucket name rule (S3's): 3 to 63 lowercase letters, digits, periods or hyphens, starting with a letter or digit. */
export const bucketName = z
  .string()
  .min(3, "at least 3 characters (an S3 bucket name)")
  .max(63, "at most 63 characters (an S3 bucket name)")
  .regex(/^[a-z0-9][a-z0-9.-]*$/, "must be lowercase letters, digits, '.' and '-', starting with a letter or digit (an S3 bucket name)");

export const storageBucketSchema = z.strictObject({
  ...scopedFields(bucketName),
  pool: z.string().min(1).describe("The storage pool the bucket lives in."),
  target: memberTarget
    .optional()
    .describe(
      "On a cluster: the member the bucket lives on (`?target=` on every request about it), so the same name on two members is two buckets. Default: the member Incus answers through. A change replaces the bucket. Refused on a server that is not clustered. `pulumi import` id: `/1.0/storage-pools/<pool>/buckets/<name>?target=<member>`.",
    ),
  description,
  config: configMap
    .optional()
    .describe("Bucket config: `size` where the pool's driver supports it (not on `dir`), `user.*` keys; numbers and booleans are sent as strings."),
});
export type StorageBucketInputs = z.output<typeof storageBucketSchema>;

export const storageBucket = defineKind({
  type: "StorageBucket",
  schema: storageBucketSchema,
  scoped: true,
  path: (i) => `/1.0/storage-pools/${encode(i.pool)}/buckets/${encode(i.name)}`,
  feature: "features.storage.buckets",
  requires: ["storage_buckets"],
  identity: ["pool", "target"],
  clusterTarget: "member",
  renamable: false,
  listable: true,
  put: { ignoresIfMatch: true },
  fields: {
    description: { mode: "update", empty: "" },
    config: { mode: "update", empty: {} },
  },
  outputKeys: ["s3Url", "location"],
  outputs: (live) => ({ s3Url: liveString(live.s3_url), location: liveString(live.location) }),
  docs: {
    summary:
      "An S3 storage bucket in a pool. Lives in a project (`features.storage.buckets`). On a local pool (dir) Incus 6.0 needs the `minio` and `mc` binaries on its PATH. Creating one makes an `admin` key; add keys with StorageBucketKey.",
    outputs: {
      s3Url: "The bucket's S3 address; empty until the server sets `core.storage_buckets_address`.",
      location: "The cluster member holding the bucket (`none` outside a cluster).",
    },
    table: { identity: "(S3 rules)", replaced: "(Incus has no bucket rename)" },
  },
  example: {
    args: { name: "backups", pool: "default" },
    program: `
const bucket = new incus.StorageBucket("backups", { pool: "default" });
`,
  },
});
