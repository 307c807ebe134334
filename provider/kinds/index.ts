// Every kind, by its Pulumi type name.
import type { KindSpec } from "../engine/kind";
import { certificate } from "./certificate";
import { image } from "./image";
import { instance } from "./instance";
import { network } from "./network";
import { profile } from "./profile";
import { project } from "./project";
import { serverConfig } from "./serverConfig";
import { storagePool } from "./storagePool";
import { storageVolume } from "./storageVolume";

export const kinds = {
  Project: project,
  Profile: profile,
  Network: network,
  StoragePool: storagePool,
  StorageVolume: storageVolume,
  Image: image,
  Instance: instance,
  Certificate: certificate,
  ServerConfig: serverConfig,
} satisfies Record<string, KindSpec<any, any>>;

export type KindName = keyof typeof kinds;
