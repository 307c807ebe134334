// Every kind, by its Pulumi type name.
import type { KindSpec } from "../engine/kind";
import { certificate } from "./certificate";
import { image } from "./image";
import { imageAlias } from "./imageAlias";
import { instance } from "./instance";
import { instanceSnapshot } from "./instanceSnapshot";
import { network } from "./network";
import { networkAcl } from "./networkAcl";
import { networkForward } from "./networkForward";
import { networkZone } from "./networkZone";
import { networkZoneRecord } from "./networkZoneRecord";
import { profile } from "./profile";
import { project } from "./project";
import { serverConfig } from "./serverConfig";
import { storagePool } from "./storagePool";
import { storageBucket } from "./storageBucket";
import { storageBucketKey } from "./storageBucketKey";
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
  NetworkAcl: networkAcl,
  NetworkForward: networkForward,
  NetworkZone: networkZone,
  NetworkZoneRecord: networkZoneRecord,
  Certificate: certificate,
  ServerConfig: serverConfig,
  InstanceSnapshot: instanceSnapshot,
  StorageVolumeSnapshot: storageVolumeSnapshot,
  ImageAlias: imageAlias,
  StorageBucket: storageBucket,
  StorageBucketKey: storageBucketKey,
} satisfies Record<string, KindSpec<any, any>>;

export type KindName = keyof typeof kinds;
