// Access key of a storage bucket: project-scoped like its bucket, child of a pool and a bucket. Incus makes up the
// access and secret keys when the program gives none; the secret key is secret in state, outputs and messages.
// A PUT without `access-key`/`secret-key` makes new ones, so every PUT carries the live pair (update fields). No
// rename. Its PUT ignores If-Match: the engine compares before writing. On a cluster it lives on its bucket's member
// (`target`, as for the bucket).
import { z } from "zod";
import { objectName } from "../engine/inputs";
import { defineKind, liveString } from "../engine/kind";
import { memberTarget, withParentLocation } from "../engine/target";
import { description, encode, scopedFields } from "./common";
import { bucketName } from "./storageBucket";

export const storageBucketKeySchema = z.strictObject({
  ...scopedFields(objectName),
  pool: z.string().min(1).describe("The storage pool of the bucket."),
  bucket: bucketName.describe("The bucket the key gives access to."),
  target: memberTarget
    .optional()
    .describe(
      "On a cluster: the member holding the bucket (its `location`), needed where another member has a bucket of the same name. A change replaces the key. Refused on a server that is not clustered. `pulumi import` id: `/1.0/storage-pools/<pool>/buckets/<bucket>/keys/<name>?target=<member>`.",
    ),
  description,
  role: z.enum(["read-only", "admin"]).optional().describe("What the key may do: `read-only` or `admin` (read and write). Default: `read-only`."),
  accessKey: z
    .string()
    .min(1)
    .optional()
    .describe("The S3 access key. Default: one Incus makes up at create, kept from then on (dropping it later keeps the current one)."),
  secretKey: z
    .string()
    .min(1)
    .optional()
    .describe("The S3 secret key; always kept secret. Default: one Incus makes up at create, kept from then on (dropping it later keeps the current one)."),
});
export type StorageBucketKeyInputs = z.output<typeof storageBucketKeySchema>;

const bucketPath = (i: { pool: string; bucket: string }) => `/1.0/storage-pools/${encode(i.pool)}/buckets/${encode(i.bucket)}`;

export const storageBucketKey = defineKind({
  type: "StorageBucketKey",
  schema: storageBucketKeySchema,
  scoped: true,
  requires: ["storage_buckets"],
  path: (i) => `${bucketPath(i)}/keys/${encode(i.name)}`,
  feature: "features.storage.buckets",
  identity: ["pool", "bucket", "target"],
  clusterTarget: "member",
  renamable: false,
  listable: true,
  put: { ignoresIfMatch: true },
  fields: {
    description: { mode: "update", empty: "" },
    role: { mode: "update", empty: "read-only" },
    // No `empty`: a key the program stops naming stays as it is (Incus's "unset" would be a new random key).
    accessKey: { mode: "update", api: "access-key" },
    secretKey: { mode: "update", api: "secret-key" },
  },
  // Incus 6.0 refuses a create without a role ("Invalid key role"), though the API documents read-only as default.
  createBody: (i) => ({ name: i.name, description: i.description, role: i.role ?? "read-only", "access-key": i.accessKey, "secret-key": i.secretKey }),
  // Filled in by the server when not given: outputs that later diffs carry over as the desired values.
  // Where it is: its bucket's member (Incus's key object does not say).
  details: (ctx, live, i) => withParentLocation(ctx, live, i.pool && i.bucket ? bucketPath({ pool: i.pool, bucket: i.bucket }) : undefined),
  outputKeys: ["accessKey", "secretKey", "location"],
  outputs: (live) => ({ accessKey: liveString(live["access-key"]), secretKey: liveString(live["secret-key"]), location: liveString(live.location) }),
  secretOutputs: ["secretKey"],
  docs: {
    summary:
      "An access key of a storage bucket (`read-only` or `admin`). The secret key, given or made up by Incus, is a secret in state and outputs and never printed.",
    outputs: {
      accessKey: "The S3 access key (the given one, or the one Incus made up).",
      secretKey: "The S3 secret key (the given one, or the one Incus made up); a Pulumi secret.",
      location: "The cluster member holding the key's bucket (`none` outside a cluster).",
    },
  },
  example: {
    args: { name: "reader", pool: "default", bucket: "backups", role: "read-only" },
    program: `
const reader = new incus.StorageBucketKey("reader", { pool: "default", bucket: bucket.name, role: "read-only" });
export const secretKey = reader.secretKey; // a secret
`,
  },
});
