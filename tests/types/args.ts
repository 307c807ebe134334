// Type-level tests of the SDK, compiled by tests/unit/types.test.ts (and `npm run check`); nothing here runs.
// Each Args field takes pulumi.Input of its own type, Outputs of other resources included; `@ts-expect-error`
// lines are the mistakes the types must catch (tsc fails if one of them compiles).
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";
import type { z } from "zod";
import type { kinds } from "../../provider/kinds";

declare const flag: pulumi.Output<boolean>;
declare const text: pulumi.Output<string>;
declare const maybeText: pulumi.Output<string | undefined>;
declare const names: pulumi.Output<string[]>;

const base = new incus.Instance("base", { image: "pulumi-incus/busybox" });
const shared = new incus.Profile("shared", { config: { "limits.cpu": 2, "boot.autostart": false, "user.note": "x" } });

// Outputs of the field's own type (issue 10: each of these was rejected before).
new incus.Instance("from-outputs", {
  image: base.imageFingerprint,
  running: flag,
  description: shared.description,
  profiles: base.profiles,
  type: base.type,
  config: shared.config,
  devices: shared.devices,
  ephemeral: base.ephemeral,
  stopTimeout: base.stopTimeout,
});
new incus.Profile("copy", { project: base.project, description: maybeText, config: shared.config, devices: shared.devices });

// Nested inputs: list items, map values and object fields may be Outputs too.
new incus.Instance("nested", {
  image: text,
  profiles: [shared.name, "default"],
  config: { "limits.cpu": text, "security.nesting": flag, "limits.memory": "256MiB", "limits.processes": 100 },
  devices: { root: { type: "disk", path: "/", pool: text }, eth0: pulumi.output({ type: "nic", network: "br0" }) },
});
new incus.Image("img", {
  source: { server: "https://images.example.org", alias: text, protocol: pulumi.output("simplestreams" as const) },
  aliases: names,
  public: flag,
});
new incus.Network("net", { type: pulumi.output("bridge" as const), config: { "ipv4.address": "none" } });
new incus.StorageVolume("vol", { pool: text, contentType: "block" });
new incus.StoragePool("pool", { driver: "dir" });
new incus.Project("proj", { config: { "features.images": false }, deleteContents: flag });

// null (and "") mean "not set", for a field, a config key or a device.
declare const maybe: boolean;
new incus.Profile("unset", { description: maybe ? "x" : null, config: { "limits.cpu": null, "user.a": "" }, devices: { eth0: null } });

// Outputs have the types a program needs.
const status: pulumi.Output<string> = base.status;
const addresses: pulumi.Output<string[]> = base.ipv4Addresses;
const usedBy: pulumi.Output<string[]> = shared.usedBy;
const desc: pulumi.Output<string | undefined> = shared.description;
const name: pulumi.Output<string> = shared.name;
const size: pulumi.Output<number> = new incus.Image("sized", { file: "/tmp/x.tar.gz" }).size;
const looked: incus.Profile = incus.Profile.get("looked", "/1.0/profiles/default");
void [status, addresses, usedBy, desc, name, size, looked];

// Mistakes the types catch.
// @ts-expect-error running is a boolean
new incus.Instance("bad-running", { image: "x", running: "yes" });
// @ts-expect-error an Output of another type
new incus.Instance("bad-output", { image: "x", running: text });
// @ts-expect-error not an instance type
new incus.Instance("bad-type", { image: "x", type: "vm" });
// @ts-expect-error copyFrom names its source instance
new incus.Instance("no-source", { copyFrom: {} });
// @ts-expect-error misspelt field
new incus.Profile("typo", { descripton: "x" });
// @ts-expect-error config values are strings, numbers or booleans
new incus.Profile("bad-config", { config: { "limits.cpu": { n: 2 } } });
// @ts-expect-error profiles is a list of names
new incus.Instance("bad-profiles", { image: "x", profiles: "default" });
// @ts-expect-error an Output is not a plain string
const plain: string = shared.name;
// @ts-expect-error driver is required
new incus.StoragePool("no-driver", {});
void plain;

// The generated types agree with the kind declarations they come from.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type AllTrue<T> = Exclude<T[keyof T], true> extends never ? true : false;
type Kinds = typeof kinds;
type ServerOutputs<K extends keyof Kinds> = ReturnType<NonNullable<Kinds[K]["outputs"]>>;
/** Every output the kind computes has the same type on the SDK class. */
type OutputsAgree<K extends keyof Kinds, Outs> = AllTrue<{
  [P in keyof ServerOutputs<K>]: P extends keyof Outs ? Equal<Outs[P], pulumi.Output<ServerOutputs<K>[P]>> : false;
}>;
/** The schema's plain input values are valid Args, and Args has no field the schema lacks. */
type ArgsAgree<K extends keyof Kinds, Args> =
  z.input<Kinds[K]["schema"]> extends Args ? (Exclude<keyof Args, keyof z.input<Kinds[K]["schema"]>> extends never ? true : false) : false;
const agree: [
  OutputsAgree<"Project", incus.ProjectOutputs>,
  OutputsAgree<"Profile", incus.ProfileOutputs>,
  OutputsAgree<"Network", incus.NetworkOutputs>,
  OutputsAgree<"StoragePool", incus.StoragePoolOutputs>,
  OutputsAgree<"StorageVolume", incus.StorageVolumeOutputs>,
  OutputsAgree<"Image", incus.ImageOutputs>,
  OutputsAgree<"Instance", incus.InstanceOutputs>,
  ArgsAgree<"Project", incus.ProjectArgs>,
  ArgsAgree<"Profile", incus.ProfileArgs>,
  ArgsAgree<"Network", incus.NetworkArgs>,
  ArgsAgree<"StoragePool", incus.StoragePoolArgs>,
  ArgsAgree<"StorageVolume", incus.StorageVolumeArgs>,
  ArgsAgree<"Image", incus.ImageArgs>,
  ArgsAgree<"Instance", incus.InstanceArgs>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void agree;
