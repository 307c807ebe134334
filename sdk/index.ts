// pulumi-incus: every Incus kind as a Pulumi resource.
//   import * as incus from "pulumi-incus";
//   const web = new incus.Profile("web", { config: { "limits.cpu": 2 } });
import { image, imageSchema } from "../provider/kinds/image";
import { instance, instanceSchema } from "../provider/kinds/instance";
import { network, networkSchema } from "../provider/kinds/network";
import { profile, profileSchema } from "../provider/kinds/profile";
import { project, projectSchema } from "../provider/kinds/project";
import { storagePool, storagePoolSchema } from "../provider/kinds/storagePool";
import { storageVolume, storageVolumeSchema } from "../provider/kinds/storageVolume";
import { type ArgsOf, resourceClass } from "./resource";

export const Project = resourceClass(project, projectSchema);
export type Project = InstanceType<typeof Project>;
export type ProjectArgs = ArgsOf<typeof projectSchema>;

export const Profile = resourceClass(profile, profileSchema);
export type Profile = InstanceType<typeof Profile>;
export type ProfileArgs = ArgsOf<typeof profileSchema>;

export const Network = resourceClass(network, networkSchema, 15);
export type Network = InstanceType<typeof Network>;
export type NetworkArgs = ArgsOf<typeof networkSchema>;

export const StoragePool = resourceClass(storagePool, storagePoolSchema);
export type StoragePool = InstanceType<typeof StoragePool>;
export type StoragePoolArgs = ArgsOf<typeof storagePoolSchema>;

export const StorageVolume = resourceClass(storageVolume, storageVolumeSchema);
export type StorageVolume = InstanceType<typeof StorageVolume>;
export type StorageVolumeArgs = ArgsOf<typeof storageVolumeSchema>;

export const Image = resourceClass(image, imageSchema);
export type Image = InstanceType<typeof Image>;
export type ImageArgs = ArgsOf<typeof imageSchema>;

export const Instance = resourceClass(instance, instanceSchema);
export type Instance = InstanceType<typeof Instance>;
export type InstanceArgs = ArgsOf<typeof instanceSchema>;
