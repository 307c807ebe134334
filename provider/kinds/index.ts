// Every kind, by its Pulumi type name.
import type { KindSpec } from "../engine/kind";
import { image } from "./image";
import { instance } from "./instance";
import { network } from "./network";
import { profile } from "./profile";
import { project } from "./project";
import { storagePool } from "./storagePool";
import { storageBucket } from "./storageBucket";
import { storageBucketKey } from "./storageBucketKey";
import { storageVolume } from "./storageVolume";

export const kinds = {
  Project: project,
  Profile: profile,
  Network: network,
  StoragePool: storagePool,
  StorageVolume: storageVolume,
  Image: image,
  Instance: instance,
  StorageBucket: storageBucket,
  StorageBucketKey: storageBucketKey,
} satisfies Record<string, KindSpec<any, any>>;

export type KindName = keyof typeof kinds;
