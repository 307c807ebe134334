// Benchmark program for scripts/bench-deploy.sh: `count` busybox containers in `project` (made by the benchmark,
// with features.images=false and features.profiles=false, so the default project's image and root disk apply).
// Exactly what the benchmark's direct-REST path does: create each instance, then start it.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const project = cfg.require("project");
const count = cfg.requireNumber("count");
const image = cfg.get("image") ?? "pulumi-incus/busybox";
const prefix = cfg.get("prefix") ?? "b";
/** On a cluster: where to place them (a member or `@<group>`); default: the scheduler's choice. */
const target = cfg.get("target");
/** On a cluster: places to spread them over, comma-separated (instance i goes to the (i mod k)-th), e.g. `@g1,@g2,@g3`. */
const targets = cfg.get("targets")?.split(",").filter(Boolean);

const instances = Array.from(
  { length: count },
  (_, i) =>
    new incus.Instance(`${prefix}${i}`, {
      project,
      name: `${prefix}${i}`,
      image,
      target: targets?.length ? targets[i % targets.length] : target,
      stopTimeout: 0,
    }),
);

export const running = pulumi.all(instances.map((n) => n.status)).apply((s) => s.filter((x) => x === "Running").length);
