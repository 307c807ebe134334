// Working with Incus objects that were made outside Pulumi (`pulumi import` does not work for dynamic providers):
//   - `adopt: true` takes over an existing profile: the preview lists what adopting changes, the first `up` changes
//     only what differs from the program (keys and fields it had before and the program does not set stay), and
//     from then on it is managed like any other resource, so `pulumi destroy` deletes it;
//   - `incus.Profile.get(name, id)` reads an existing profile without managing it: its values are outputs, other
//     resources can use them, and `pulumi destroy` never touches it;
//   - `derived` is a new profile built from the looked-up one's config and devices.
//
//   incus profile create team-base && incus profile set team-base limits.cpu=2
//   pulumi config set existingProfile legacy-web     # the profile to adopt (must exist, or it is created)
//   pulumi config set sharedProfile team-base        # the profile to read
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const existingName = cfg.require("existingProfile");
const sharedName = cfg.require("sharedProfile");
const derivedProfileName = cfg.get("derivedProfile") ?? `${sharedName}-derived`;
/** Set to false to see what happens without adopt: the create fails, naming the object and the way out. */
const adopt = cfg.getBoolean("adopt") ?? true;

const adopted = new incus.Profile("adopted", {
  name: existingName,
  adopt,
  description: "adopted by pulumi-incus",
  config: { "user.managed-by": "pulumi", "limits.cpu": 1 },
});

const shared = incus.Profile.get("shared", `/1.0/profiles/${encodeURIComponent(sharedName)}`);

const derived = new incus.Profile("derived", {
  name: derivedProfileName,
  description: pulumi.interpolate`derived from ${shared.name}`,
  config: shared.config.apply((c) => ({ ...(c ?? {}), "user.derived-from": sharedName })),
  devices: shared.devices.apply((d) => d ?? {}),
});

export const adoptedName = adopted.name;
export const adoptedDescription = adopted.description;
export const adoptedConfig = adopted.config;
export const sharedProfile = {
  name: shared.name,
  description: shared.description,
  config: shared.config,
  devices: shared.devices,
  usedBy: shared.usedBy,
};
export const derivedName = derived.name;
export const derivedConfig = derived.config;
