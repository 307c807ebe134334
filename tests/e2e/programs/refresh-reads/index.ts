// Reads of objects the stack does not manage (`Kind.get` by API path: a profile, and a volume whose path names its
// pool) and a profile built on one, for tests/e2e/refresh-reads.test.ts: every resource, reads included, must
// survive `pulumi refresh`. Stack config `project` is the project the test made them in; `withNote` adds a profile
// whose output (unknown until it is made) goes into `web`'s config, for the preview line of a value known after apply.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const project = cfg.require("project");

const base = incus.Profile.get("base", `/1.0/profiles/base?project=${project}`);
const data = incus.StorageVolume.get("data", `/1.0/storage-pools/default/volumes/custom/data?project=${project}`);
const note = cfg.getBoolean("withNote") ? new incus.Profile("note", { project }) : undefined;
const web = new incus.Profile("web", {
  project,
  description: pulumi.interpolate`built on ${base.name}`,
  config: note ? { "user.note": note.usedBy.apply((u) => `${u.length}`) } : undefined,
});

export const baseConfig = base.config;
export const dataPool = data.pool;
export const webDescription = web.description;
