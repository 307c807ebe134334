// Benchmark program for scripts/bench-deploy.sh (issue 14's load case): a mixed stack of `count` resources in
// `project` — a quarter profiles (limits and the root disk), a quarter custom volumes, half busybox containers; each
// container uses one of the profiles and mounts one of the volumes. The project has its own profiles and volumes.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const project = cfg.require("project");
const count = cfg.requireNumber("count");
const image = cfg.get("image") ?? "pulumi-incus/busybox";
const groups = Math.max(1, Math.floor(count / 4));
const instanceCount = Math.max(1, count - 2 * groups);

const profiles = Array.from(
  { length: groups },
  (_, i) =>
    new incus.Profile(`p${i}`, {
      project,
      name: `mp-${i}`,
      config: { "limits.cpu": 1, "limits.memory": "64MiB", "user.index": i },
      devices: { root: { type: "disk", path: "/", pool: "default" } },
    }),
);
const volumes = Array.from(
  { length: groups },
  (_, i) => new incus.StorageVolume(`v${i}`, { project, pool: "default", name: `mv-${i}`, config: { "user.index": i } }),
);
const instances = Array.from(
  { length: instanceCount },
  (_, i) =>
    new incus.Instance(`i${i}`, {
      project,
      name: `mi-${i}`,
      image,
      profiles: [profiles[i % groups].name],
      devices: { data: { type: "disk", pool: "default", source: volumes[i % groups].name, path: "/data" } },
      stopTimeout: 0,
    }),
);

export const running = pulumi.all(instances.map((n) => n.status)).apply((s) => s.filter((x) => x === "Running").length);
