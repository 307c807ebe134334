// Snapshots, an image published from one, a volume copied from a snapshot, a volume imported from a backup file and an image alias, as a user
// would write them. Stack config: project, suffix, tarball (the image), backup (a volume backup), expiry, note.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const config = new pulumi.Config();
const project = config.require("project");
const suffix = config.require("suffix");
const expiresAt = config.require("expiry");
const note = config.require("note");

const image = new incus.Image("img", { project, file: config.require("tarball") });
const inst = new incus.Instance("inst", { project, name: `inst-${suffix}`, image: image.fingerprint, running: false });
const snap = new incus.InstanceSnapshot("snap", { project, instance: inst.name, name: "before-upgrade", expiresAt });

const data = new incus.StorageVolume("data", { project, pool: "default", name: `data-${suffix}`, config: { size: "16MiB" } });
const nightly = new incus.StorageVolumeSnapshot("nightly", { project, pool: "default", volume: data.name, name: "nightly", description: note, expiresAt });
const restored = new incus.StorageVolume("restored", {
  project,
  pool: "default",
  name: `restored-${suffix}`,
  copyFrom: { volume: data.name, snapshot: nightly.name },
  description: note,
});
const imported = new incus.StorageVolume("imported", { project, pool: "default", name: `imported-${suffix}`, importFile: config.require("backup") });

// An image published from the snapshot (issue 12): its own alias and a property the program keeps.
const golden = new incus.Image("golden", {
  project,
  sourceInstance: { name: inst.name, snapshot: snap.name },
  aliases: [`golden/${suffix}`],
  properties: { "user.note": note },
});

const alias = new incus.ImageAlias("alias", { project, name: `e2e/${suffix}`, target: image.fingerprint, description: note });

export const snapCreatedAt = snap.createdAt;
export const snapSize = snap.size;
export const nightlyCreatedAt = nightly.createdAt;
export const restoredCreatedAt = restored.createdAt;
export const importedCreatedAt = imported.createdAt;
export const aliasType = alias.type;
export const goldenFingerprint = golden.fingerprint;
