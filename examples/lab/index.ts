// The default lab stack (root Pulumi.yaml): a project with its own profile, run against the local Incus.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config("lab");
const prefix = cfg.get("prefix") ?? "lab";

const project = new incus.Project("lab", {
  name: prefix,
  description: "pulumi-incus lab",
  // Share the default project's images and profiles' storage; keep profiles and volumes separate.
  config: { "features.images": false, "features.profiles": true, "features.storage.volumes": true },
});

const base = new incus.Profile("base", {
  project: project.name,
  name: "base",
  description: "lab base profile",
  config: { "limits.cpu": 1, "limits.memory": "256MiB" },
  devices: { root: { type: "disk", path: "/", pool: "default" } },
});

export const projectName = project.name;
export const profileName = base.name;
