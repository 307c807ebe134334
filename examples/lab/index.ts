// The default lab stack (root Pulumi.yaml): a project of its own with a network, a profile, a storage volume, an
// image uploaded from the local Debian test tarball, and three instances built from them. Each instance gets its
// files before it first boots; its boot script reports Ready through the guest API, and `up` returns only once
// every instance is Ready and has run its setup command.
import * as pulumi from "@pulumi/pulumi";
import * as os from "node:os";
import * as path from "node:path";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config("lab");
const prefix = cfg.get("prefix") ?? "lab";
const instanceCount = cfg.getNumber("instances") ?? 3;
const imageFile = cfg.get("imageFile") ?? path.join(os.homedir(), ".cache", "pulumi-incus", "images", "debian-bookworm-v2.tar.gz");

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

const image = new incus.Image("debian", {
  project: project.name,
  file: imageFile,
  aliases: ["debian"],
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

// Run once at first boot (busybox init runs /etc/rc.local): the workload is set up, then tells Incus it is Ready.
const bootScript = `#!/bin/sh
role="$(curl -sf --unix-socket /dev/incus/sock http://incus/1.0/config/user.role)"
echo "$role" > /run/lab-role
/usr/local/bin/incus-ready
`;

const instances = Array.from({ length: instanceCount }, (_, i) => {
  const role = i === 0 ? "primary" : "replica";
  return new incus.Instance(`node${i + 1}`, {
    project: project.name,
    image: image.fingerprint,
    profiles: [profile.name],
    config: { "user.role": role },
    devices: i === 0 ? { data: { type: "disk", pool: "default", source: data.name, path: "/data" } } : {},
    files: {
      "/etc/rc.local": { content: bootScript, mode: "0755" },
      "/etc/motd": { content: `lab node ${i + 1} (${role}), managed by pulumi-incus\n` },
    },
    // `up` returns once the instance runs and its guest said Ready (event-driven, each wait with its timeout).
    waitFor: { running: { timeout: 60 }, ready: { timeout: 120 } },
    commands: { hello: { command: "cat /run/lab-role /etc/motd" } },
  });
});

export const projectName = project.name;
export const networkName = network.name;
export const imageFingerprint = image.fingerprint;
export const volume = data.name;
export const nodes = instances.map((n) => ({ name: n.name, status: n.status, hello: n.commandResults.apply((r) => r?.hello?.stdout ?? "") }));
