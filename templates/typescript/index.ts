// An Incus project of its own with a profile, a bridge without addresses (in the default project: a bridge cannot
// live in another project) and one instance from that profile; `up` returns once the instance is running.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const projectName = cfg.get("incusProject") ?? "demo";
const image = cfg.get("image") ?? "debian/12";
const pool = cfg.get("pool") ?? "default";

const project = new incus.Project("project", {
  name: projectName,
  description: "made by pulumi-incus",
  // Profiles of its own; images from the default project's store.
  config: { "features.images": false, "features.profiles": true },
});

const network = new incus.Network("network", {
  project: "default",
  name: `${projectName}-net`,
  description: `bridge of the ${projectName} project`,
  config: { "ipv4.address": "none", "ipv6.address": "none" },
});

const profile = new incus.Profile("base", {
  project: project.name,
  name: "base",
  description: "limits, root disk and NIC",
  config: { "limits.cpu": 1, "limits.memory": "256MiB" },
  devices: {
    root: { type: "disk", path: "/", pool },
    eth0: { type: "nic", network: network.name, name: "eth0" },
  },
});

const instance = new incus.Instance("app", {
  project: project.name,
  name: "app",
  image,
  profiles: [profile.name],
  waitFor: { running: { timeout: 120 } },
});

export const incusProject = project.name;
export const networkName = network.name;
export const instanceName = instance.name;
export const instanceStatus = instance.status;
