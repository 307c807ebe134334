// The lab's shape on an LXD server: a project of its own with a network, a profile, a storage volume, an image
// uploaded from the local busybox test tarball, and instances built from them, each with its files and a command.
// LXD is picked by stack config `incus:server: lxd` (in Pulumi.yaml): the provider then finds LXD the way the lxc CLI
// does (LXD_SOCKET, LXD_DIR, the snap's or /var/lib/lxd's socket, remotes from ~/.config/lxc). LXD 5.0 has no guest
// Ready state, so the instances wait for `running` only; its guest API key is `security.devlxd`.
import * as pulumi from "@pulumi/pulumi";
import * as os from "node:os";
import * as path from "node:path";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config("lab");
const prefix = cfg.get("prefix") ?? "lxdlab";
const instanceCount = cfg.getNumber("instances") ?? 2;
const motd = cfg.get("motd") ?? "managed by pulumi-incus";
const imageFile = cfg.get("imageFile") ?? path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");

const project = new incus.Project("lab", {
  name: prefix,
  description: "pulumi-incus lab on LXD",
  config: { "features.images": true, "features.profiles": true, "features.storage.volumes": true },
});

// Bridges live in the default project. No addresses: the lab's instances talk to nothing outside the host.
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
  // LXD's name for the guest API switch (Incus calls it security.guestapi).
  config: { "limits.cpu": 1, "limits.memory": "128MiB", "security.devlxd": true },
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

const instances = Array.from({ length: instanceCount }, (_, i) => {
  const role = i === 0 ? "primary" : "replica";
  return new incus.Instance(`node${i + 1}`, {
    project: project.name,
    name: `${prefix}-node${i + 1}`,
    image: image.fingerprint,
    profiles: [profile.name],
    config: { "user.role": role },
    devices: i === 0 ? { data: { type: "disk", pool: "default", source: data.name, path: "/data" } } : {},
    files: { "/etc/motd": { content: `lab node ${i + 1} (${role}), ${motd}\n` } },
    waitFor: { running: { timeout: 60 } },
    commands: { hello: { command: "cat /etc/motd" } },
  });
});

export const projectName = project.name;
export const networkName = network.name;
export const imageFingerprint = image.fingerprint;
export const volume = data.name;
export const nodes = instances.map((n) => ({ name: n.name, status: n.status, hello: n.commandResults.apply((r) => r?.hello?.stdout ?? "") }));
