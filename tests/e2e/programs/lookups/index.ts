// Reads what exists (the default project's default profile, the test image by its alias) with the lookups and builds
// on it: a profile that copies the default profile's root disk, an instance of the looked-up image, and a list
// lookup of that instance once it exists. The project comes from stack config `incus:project`, as for resources.
// Stack config `missingProfile` makes the program look up a profile that does not exist.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

export = async () => {
  const config = new pulumi.Config();
  const missing = config.get("missingProfile");
  if (missing) await incus.getProfile({ name: missing });

  // The Promise form: a plain value the program can branch on.
  const image = await incus.getImage({ alias: "pulumi-incus/busybox", project: "default" });
  if (image.imageType !== "container") throw new Error(`expected a container image, got ${image.imageType}`);
  // The Output form: arguments may be Outputs, and so is the result.
  const base = incus.getProfileOutput({ name: pulumi.output("default"), project: "default" });

  const web = new incus.Profile("web", {
    description: pulumi.interpolate`root disk of ${base.project}/${base.name}`,
    devices: { root: base.devices.apply((d) => d.root) },
    config: { "user.image": image.fingerprint },
  });
  const box = new incus.Instance("box", { image: image.fingerprint, profiles: [web.name], running: false, config: { "user.lookup": "e2e" } });
  // During a preview the instance does not exist yet: the list is empty then, and holds it once it is made.
  const boxes = incus.getInstancesOutput({ namePrefix: box.name, config: { "user.lookup": "e2e" } });
  const mine = incus.getInstancesOutput({ namePrefix: box.name });

  return {
    imageFingerprint: image.fingerprint,
    imageAliases: image.aliases,
    baseProject: base.project,
    webDescription: web.description,
    webRootPool: web.devices.apply((d) => d?.root?.pool),
    boxImage: box.imageFingerprint,
    boxStatus: box.status,
    listed: mine.apply((list) => list.map((i) => `${i.name}:${i.status}:${i.imageFingerprint}`)),
    listedByConfig: boxes.apply((list) => list.length),
  };
};
