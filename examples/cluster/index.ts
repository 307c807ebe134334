// A stack on an Incus cluster (reach it through any member's HTTPS address: `incus:remote`, `incus:configDir`):
//   - a cluster group `<prefix>-web` holding every member, and `instances` containers placed on it
//     (`target: "@<group>"`: the scheduler picks the member, and where it put one is no change);
//   - one container pinned to a member (`pinned`; changing it moves the container: stopped, moved, started);
//   - a custom volume on one member (`volumeMember`; volumes are per member);
//   - a `dir` pool with a source of its own on each member (`sourceBase/<member>`, a directory that must exist);
//   - each member as a ClusterMember: a description, and `evacuated` for the member named by `evacuate` (its
//     instances move to the others; drop the setting to restore it).
//
//   pulumi config set members node1,node2,node3     # the cluster's members (required)
//   pulumi config set sourceBase /srv/pools         # pool sources: /srv/pools/<member> on each member (required)
//   pulumi config set pinned node3                  # where the pinned container runs (default: the first member)
//   pulumi config set evacuate node2                # maintenance: evacuate node2 (config rm evacuate restores it)
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const members = cfg
  .require("members")
  .split(",")
  .map((m) => m.trim())
  .filter(Boolean);
const prefix = cfg.get("prefix") ?? "cl";
const count = cfg.getNumber("instances", { min: 0, max: 100 }) ?? 3;
const image = cfg.get("image") ?? "pulumi-incus/busybox";
const pinned = cfg.get("pinned") ?? members[0];
const volumeMember = cfg.get("volumeMember") ?? members[members.length - 1];
const evacuate = cfg.get("evacuate");
const sourceBase = cfg.require("sourceBase");

const group = new incus.ClusterGroup("web", { name: `${prefix}-web`, description: "web tier members", members });

// Maintenance as code: one resource per member; `evacuated` follows the `evacuate` setting.
const managed = members.map(
  (m) => new incus.ClusterMember(m, { name: m, description: `member of ${prefix}`, evacuated: m === evacuate }, { dependsOn: [group] }),
);

const pool = new incus.StoragePool("pool", {
  name: `${prefix}-pool`,
  driver: "dir",
  description: "per-member sources",
  memberConfig: Object.fromEntries(members.map((m) => [m, { source: `${sourceBase}/${m}` }])),
});

const web = Array.from(
  { length: count },
  (_, i) => new incus.Instance(`web${i}`, { name: `${prefix}-web${i}`, image, target: pulumi.interpolate`@${group.name}`, stopTimeout: 0 }),
);
const pinnedInstance = new incus.Instance("pinned", { name: `${prefix}-pinned`, image, target: pinned, stopTimeout: 0 }, { dependsOn: managed });

const data = new incus.StorageVolume("data", { name: `${prefix}-data`, pool: "default", target: volumeMember, config: { size: "16MiB" } });

export const groupName = group.name;
export const poolName = pool.name;
export const locations = pulumi.all(web.map((w) => w.location));
export const pinnedLocation = pinnedInstance.location;
export const volumeLocation = data.location;
export const memberStatus = pulumi.all(managed.map((m) => m.status));
