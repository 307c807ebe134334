// Every kind, by its Pulumi type name.
import type { KindSpec } from "../engine/kind";
import { image } from "./image";
import { imageAlias } from "./imageAlias";
import { instance } from "./instance";
import { instanceSnapshot } from "./instanceSnapshot";
import { network } from "./network";
import { profile } from "./profile";
import { project } from "./project";
import { storagePool } from "./storagePool";
import { storageVolume } from "./storageVolume";
import { storageVolumeSnapshot } from "./storageVolumeSnapshot";

export const kinds = {
  Project: project,
  Profile: profile,
  Network: network,
  StoragePool: storagePool,
  StorageVolume: storageVolume,
  Image: image,
  Instance: instance,
  InstanceSnapshot: instanceSnapshot,
  StorageVolumeSnapshot: storageVolumeSnapshot,
  ImageAlias: imageAlias,
} satisfies Record<string, KindSpec<any, any>>;

export type KindName = keyof typeof kinds;
