// The smallest pulumi-incus program: one profile in the default project.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const profile = new incus.Profile("minimal", {
  name: cfg.get("profileName") ?? "pulumi-incus-minimal",
  description: cfg.get("description") ?? "made by pulumi-incus",
  config: { "user.managed-by": "pulumi" },
});

export const name = profile.name;
export const usedBy = profile.usedBy;
