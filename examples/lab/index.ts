// The default lab stack (root Pulumi.yaml): a project of its own with a network, a profile, a storage volume, an
// image uploaded from the local busybox tarball, and three instances built from them.
import * as pulumi from "@pulumi/pulumi";
import * as os from "node:os";
import * as path from "node:path";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config("lab");
const prefix = cfg.get("prefix") ?? "lab";
const instanceCount = cfg.getNumber("instances") ?? 3;
const imageFile = cfg.get("imageFile") ?? path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");

const project = new incus.Project("lab", {
  name: prefix,
  description: "pulumi-incus lab",
  config: { "features.images": true, "features.profiles": true, "features.storage.volumes": true },
});

// Bridges live in the default project (a project of its own may only hold OVN networks). No addresses: the
// lab's instances talk to nothing outside the host.
const network = new incus.Network("net", {
  project: "default",
  name: `${prefix}-net`.slice(0, 15),
  config: { "ipv4.address": "none", "ipv6.address": "none" },
  description: "lab bridge without addresses",
});

const image = new incus.Image("busybox", {
  project: project.name,
  file: imageFile,
  aliases: ["busybox"],
  properties: { "user.lab": prefix },
});

const profile = new incus.Profile("base", {
  project: project.name,
  name: "lab-base",
  description: "lab base profile",
  config: { "limits.cpu": 1, "limits.memory": "128MiB" },
  devices: {
    root: { type: "disk", path: "/", pool: "default" },
    eth0: { type: "nic", network: network.name, name: "eth0" },
  },
});

const data = new incus.StorageVolume("data", {
  project: project.name,
  pool: "default",
  name: "lab-data",
  config: { "user.purpose": "shared lab data" },
});

const instances = Array.from({ length: instanceCount }, (_, i) =>
  new incus.Instance(`node${i + 1}`, {
    project: project.name,
    image: image.fingerprint,
    profiles: [profile.name],
    config: { "user.role": i === 0 ? "primary" : "replica" },
    devices: i === 0 ? { data: { type: "disk", pool: "default", source: data.name, path: "/data" } } : {},
  }),
);

export const projectName = project.name;
export const networkName = network.name;
export const imageFingerprint = image.fingerprint;
export const volume = data.name;
export const nodes = instances.map((n) => ({ name: n.name, status: n.status }));
