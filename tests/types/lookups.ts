// Type-level tests of the lookups (compiled by tests/unit/types.test.ts and `npm run check`; nothing here runs):
// getXxx takes plain values and gives a typed Promise, getXxxOutput takes Inputs and gives an Output.
import type * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

declare const text: pulumi.Output<string>;

export async function lookups(): Promise<void> {
  const profile: incus.GetProfileResult = await incus.getProfile({ name: "default", project: "default" });
  const config: Record<string, string> = profile.config;
  const devices: Record<string, Record<string, string>> = profile.devices;
  const description: pulumi.Output<string> = incus.getProfileOutput({ name: text, project: text }).description;
  const volume = await incus.getStorageVolume({ pool: "default", name: "data" });
  const contentType: "filesystem" | "block" | "iso" = volume.contentType;
  const image = await incus.getImage({ alias: "pulumi-incus/busybox" });
  const fingerprint: string = image.fingerprint;
  const size: number = image.size;
  const images: incus.GetImageResult[] = await incus.getImages({ properties: { os: "debian" } });
  const running: pulumi.Output<incus.GetInstanceResult[]> = incus.getInstancesOutput({ status: text, config: { "user.role": text } });
  const addresses: string[] = (await incus.getInstance({ name: "web" })).ipv4Addresses;
  // A lookup result feeds a resource.
  new incus.Instance("from-lookup", { image: image.fingerprint, profiles: [profile.name], devices: profile.devices });
  void [config, devices, description, contentType, fingerprint, size, images, running, addresses];

  // @ts-expect-error a volume is found under its pool
  await incus.getStorageVolume({ name: "data" });
  // @ts-expect-error getProfile takes plain values; Outputs go to getProfileOutput
  await incus.getProfile({ name: text });
  // @ts-expect-error an image has no name to look it up by (its name is only a Pulumi label)
  await incus.getImage({ name: "x" });
  // @ts-expect-error results are read-only
  profile.description = "x";
  // @ts-expect-error getInstances filters by status, not state
  await incus.getInstances({ state: "Running" });
  // @ts-expect-error image results have no Pulumi name
  void image.name;
}
