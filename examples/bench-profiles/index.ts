// Benchmark program for scripts/bench-deploy.sh: a stack of `count` profiles (names `<prefix>-<i>`), to measure
// what a no-change `up` and a `refresh` of a 100-resource stack cost in time, requests and memory.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const prefix = cfg.require("prefix");
const count = cfg.requireNumber("count");
const project = cfg.get("project");

const profiles = Array.from(
  { length: count },
  (_, i) =>
    new incus.Profile(`p${i}`, {
      project,
      name: `${prefix}-${i}`,
      description: `bench profile ${i}`,
      config: { "limits.cpu": 1 + (i % 2), "user.index": i },
    }),
);

export const names = profiles.length;
