// A secret from stack config (`token`, set with --secret) in a profile's and an instance's config, in a project of
// its own. `failOnPurpose` puts the secret where Incus rejects it, so the test sees an error made from it. A second
// instance holds a secret file and runs a command that prints a line of it (part of the secret, which hiding whole
// values cannot catch); `failCommand` makes that command fail after printing it.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const token = cfg.requireSecret("token");
const prefix = cfg.require("prefix");
const failOnPurpose = cfg.getBoolean("failOnPurpose") ?? false;
const failCommand = cfg.getBoolean("failCommand") ?? false;

const project = new incus.Project("p", { name: prefix, config: { "features.images": false, "features.profiles": true } });

const profile = new incus.Profile("secret-profile", {
  project: project.name,
  name: "with-secret",
  config: { "user.token": token, "limits.cpu": 1 },
  devices: { root: { type: "disk", path: "/", pool: "default" } },
});

const instance = new incus.Instance("holder", {
  project: project.name,
  image: "pulumi-incus/busybox",
  profiles: [profile.name],
  // limits.memory must be a size: the secret there is refused by Incus, and the error must not show it.
  config: failOnPurpose ? { "user.api-key": token, "limits.memory": token } : { "user.api-key": token },
});

// A secret the program derives (not a stack config value: the Pulumi CLI itself masks those in what it prints).
const dbPassword = token.apply((t) => t.toUpperCase());
const reader = new incus.Instance("reader", {
  project: project.name,
  image: "pulumi-incus/busybox",
  profiles: [profile.name],
  files: { "/etc/app.conf": { content: pulumi.interpolate`user=app\npassword=${dbPassword}\n`, mode: "0600" } },
  commands: { show: { command: failCommand ? "grep password /etc/app.conf; exit 3" : "grep password /etc/app.conf" } },
});

export const profileConfig = profile.config;
export const readerResults = reader.commandResults;
export const instanceStatus = instance.status;
