// Every kind, by its Pulumi type name. Each kind's module is loaded when its entry is first read: the provider
// process of a stack loads only the kinds the stack uses (a kind's module builds its zod schemas as it loads), and
// tools that walk `kinds` load them all.
import type { KindSpec } from "../engine/kind";

const loaders = {
  Project: () => (require("./project") as typeof import("./project")).project,
  Profile: () => (require("./profile") as typeof import("./profile")).profile,
  Network: () => (require("./network") as typeof import("./network")).network,
  StoragePool: () => (require("./storagePool") as typeof import("./storagePool")).storagePool,
  StorageVolume: () => (require("./storageVolume") as typeof import("./storageVolume")).storageVolume,
  Image: () => (require("./image") as typeof import("./image")).image,
  Instance: () => (require("./instance") as typeof import("./instance")).instance,
  NetworkAcl: () => (require("./networkAcl") as typeof import("./networkAcl")).networkAcl,
  NetworkForward: () => (require("./networkForward") as typeof import("./networkForward")).networkForward,
  NetworkZone: () => (require("./networkZone") as typeof import("./networkZone")).networkZone,
  NetworkZoneRecord: () => (require("./networkZoneRecord") as typeof import("./networkZoneRecord")).networkZoneRecord,
  Certificate: () => (require("./certificate") as typeof import("./certificate")).certificate,
  ServerConfig: () => (require("./serverConfig") as typeof import("./serverConfig")).serverConfig,
  InstanceSnapshot: () => (require("./instanceSnapshot") as typeof import("./instanceSnapshot")).instanceSnapshot,
  StorageVolumeSnapshot: () => (require("./storageVolumeSnapshot") as typeof import("./storageVolumeSnapshot")).storageVolumeSnapshot,
  ImageAlias: () => (require("./imageAlias") as typeof import("./imageAlias")).imageAlias,
  StorageBucket: () => (require("./storageBucket") as typeof import("./storageBucket")).storageBucket,
  StorageBucketKey: () => (require("./storageBucketKey") as typeof import("./storageBucketKey")).storageBucketKey,
  NetworkPeer: () => (require("./networkPeer") as typeof import("./networkPeer")).networkPeer,
  NetworkLoadBalancer: () => (require("./networkLoadBalancer") as typeof import("./networkLoadBalancer")).networkLoadBalancer,
  NetworkIntegration: () => (require("./networkIntegration") as typeof import("./networkIntegration")).networkIntegration,
  ClusterGroup: () => (require("./clusterGroup") as typeof import("./clusterGroup")).clusterGroup,
  ClusterMember: () => (require("./clusterMember") as typeof import("./clusterMember")).clusterMember,
} satisfies Record<string, () => KindSpec<any, any>>;

type Kinds = { readonly [K in keyof typeof loaders]: ReturnType<(typeof loaders)[K]> };

export const kinds = {} as Kinds;
for (const [type, load] of Object.entries(loaders)) {
  Object.defineProperty(kinds, type, {
    enumerable: true,
    configurable: true,
    get() {
      const spec = load();
      Object.defineProperty(kinds, type, { value: spec, enumerable: true });
      return spec;
    },
  });
}

export type KindName = keyof typeof loaders;
