// A small web tier in an Incus project of its own:
//   - the project keeps its own profiles and volumes but no images (features.images=false), so instances use the
//     default project's image store (the `pulumi-incus/busybox` alias that scripts/setup-image.sh imports);
//   - a `web` profile with resource limits and the root disk;
//   - a custom volume with the site's content, attached read-only to every instance;
//   - `instances` containers from that profile; the last one is a standby, created but kept stopped
//     (`running: false`).
// Every Incus name lives inside the project, whose name comes from config, so stacks never collide.
//
//   pulumi config set prefix shop          # the project's name (default: web-tier)
//   pulumi config set instances 4          # containers, standby included (default 3)
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.get("prefix") ?? "web-tier";
const count = cfg.getNumber("instances", { min: 1, max: 50 }) ?? 3;
/** Keep the last instance stopped (default, when there are at least two). */
const standby = (cfg.getBoolean("standby") ?? true) && count >= 2;
const image = cfg.get("image") ?? "pulumi-incus/busybox";
const pool = cfg.get("pool") ?? "default";
const memory = cfg.get("memory") ?? "64MiB";
const cpus = cfg.getNumber("cpus") ?? 1;

const project = new incus.Project("project", {
  name: prefix,
  description: `web tier ${prefix} (pulumi-incus example)`,
  config: {
    "features.images": false,
    "features.profiles": true,
    "features.storage.volumes": true,
  },
});

const profile = new incus.Profile("web", {
  project: project.name,
  name: "web",
  description: "web servers: limits and root disk",
  config: {
    "limits.cpu": cpus,
    "limits.memory": memory,
    "limits.processes": 200,
    "boot.autostart": false,
  },
  devices: {
    root: { type: "disk", path: "/", pool },
  },
});

const content = new incus.StorageVolume("content", {
  project: project.name,
  pool,
  name: "content",
  description: "static content served by every web instance",
  config: { "user.purpose": "web content" },
});

const instances = Array.from({ length: count }, (_, i) => {
  const isStandby = standby && i === count - 1;
  const role = isStandby ? "standby" : "web";
  return new incus.Instance(`web-${i + 1}`, {
    project: project.name,
    name: `web-${i + 1}`,
    image,
    profiles: [profile.name],
    description: `web instance ${i + 1} (${role})`,
    config: { "user.role": role, "user.index": i + 1 },
    devices: {
      content: { type: "disk", pool, source: content.name, path: "/srv/www", readonly: true },
    },
    running: !isStandby,
    stopTimeout: 10,
  });
});

export const projectName = project.name;
export const profileName = profile.name;
export const volumeName = content.name;
/** name → status and role, as the server reports them. */
export const nodes = pulumi
  .all(instances.map((n) => pulumi.all([n.name, n.status, n.config])))
  .apply((list) => Object.fromEntries(list.map(([name, status, config]) => [name, { status, role: config?.["user.role"] }])));
export const running = pulumi.all(instances.map((n) => n.status)).apply((s) => s.filter((x) => x === "Running").length);
/** The limits the instances get from the web profile. */
export const effectiveLimits = profile.config.apply((c) => Object.fromEntries(Object.entries(c ?? {}).filter(([k]) => k.startsWith("limits."))));
export const imageFingerprint = instances[0].imageFingerprint;
