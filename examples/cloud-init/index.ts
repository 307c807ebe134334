// Instances set up by cloud-init. The user-data lives in a profile, written as the multi-line YAML cloud-init reads;
// Incus stores it byte for byte, so what the program says is compared exactly and a second `up` sends nothing.
// The same profile declares a snapshot schedule (`snapshots.*`): Incus takes and expires the snapshots itself.
//
// cloud-init only runs in images that ship it, e.g. an image server's `debian/12/cloud`:
//   pulumi config set image debian/12/cloud
//   pulumi config set imageServer https://images.linuxcontainers.org
// Its last step (runcmd) tells Incus the instance is Ready through the guest API, so with `ready: true` the
// `up` returns only once cloud-init has finished. The default image (the repo's busybox test image) has no
// cloud-init: the keys are stored and nothing runs them, which is enough to try the program offline.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.get("prefix") ?? "cloud-init";
const image = cfg.get("image") ?? "pulumi-incus/busybox";
const imageServer = cfg.get("imageServer");
const waitReady = cfg.getBoolean("ready") ?? false;
const packages = (cfg.get("packages") ?? "curl").split(",");

const project = new incus.Project("project", {
  name: prefix,
  description: "cloud-init example (pulumi-incus)",
  config: { "features.images": false, "features.profiles": true },
});

const userData = [
  "#cloud-config",
  "package_update: true",
  "packages:",
  ...packages.map((p) => `  - ${p}`),
  "write_files:",
  "  - path: /etc/motd",
  "    content: |",
  "      managed by pulumi-incus",
  "runcmd:",
  // Ready, through the guest API's unix socket inside the instance.
  `  - [curl, -s, --unix-socket, /dev/incus/sock, -X, PATCH, -d, '{"state":"Ready"}', http://incus/1.0]`,
  "",
].join("\n");

const profile = new incus.Profile("cloud", {
  project: project.name,
  name: "cloud",
  description: "cloud-init user-data and a snapshot schedule",
  config: {
    "cloud-init.user-data": userData,
    "snapshots.schedule": "@daily",
    "snapshots.schedule.stopped": false,
    "snapshots.expiry": "2w",
    "snapshots.pattern": "daily-%d",
  },
  devices: { root: { type: "disk", path: "/", pool: "default" } },
});

const count = cfg.getNumber("instances", { min: 1, max: 10 }) ?? 2;
const nodes = Array.from(
  { length: count },
  (_, i) =>
    new incus.Instance(`node-${i + 1}`, {
      project: project.name,
      name: `node-${i + 1}`,
      image,
      imageServer,
      profiles: [profile.name],
      // Per instance: vendor-data, merged by cloud-init with the profile's user-data.
      config: { "cloud-init.vendor-data": `#cloud-config\nhostname: node-${i + 1}\n` },
      waitFor: waitReady ? { ready: { timeout: 600 } } : undefined,
    }),
);

export const projectName = project.name;
export const userDataBytes = userData.length;
export const status = pulumi.all(nodes.map((n) => n.status));
