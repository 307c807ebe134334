// A storage bucket in a project of its own with two keys: `reader`, whose keys Incus makes up, and `writer`, whose
// secret key is a plain string in the program (not pulumi.secret): the kind keeps it secret all the same. (Not from
// stack config: Pulumi itself stores plain stack config in state, as the provider's settings.)
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.require("prefix");

const project = new incus.Project("p", { name: prefix, config: { "features.storage.buckets": true } });

const bucket = new incus.StorageBucket("data", {
  project: project.name,
  name: `${prefix}-data`,
  pool: "default",
  description: cfg.get("description") ?? "test bucket",
  config: { "user.tier": 1 },
});

const reader = new incus.StorageBucketKey("reader", { project: project.name, pool: "default", bucket: bucket.name });

const writer = new incus.StorageBucketKey("writer", {
  project: project.name,
  pool: "default",
  bucket: bucket.name,
  role: "admin",
  accessKey: `${prefix}-writer`,
  secretKey: `${prefix}-writer-secret-key`,
});

export const s3Url = bucket.s3Url;
export const readerAccessKey = reader.accessKey;
export const readerSecretKey = reader.secretKey;
export const writerSecretKey = writer.secretKey;
