// sdk/compose/declare.ts, the mapping both hosts share (the TypeScript component and the plugin's incus:compose:Stack),
// through a recording factory under Pulumi's mocks: what it declares for examples/compose, with the project's own
// image store (one Image per local image, copied from the default project, before the instances) or the shared one.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type ComposeFactory, declareStack } from "../../sdk/compose/declare";
import { planCompose } from "../../sdk/compose/plan";

pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "p", "s", false);

type Made = { kind: string; name: string; args: Record<string, unknown>; opts: pulumi.CustomResourceOptions; res: pulumi.CustomResource };

class Recorded extends pulumi.CustomResource {}
class Parent extends pulumi.ComponentResource {}

function declare() {
  const made: Made[] = [];
  const lookups: { kind: string; args: Record<string, unknown> }[] = [];
  const factory: ComposeFactory = {
    resource: (kind, name, args, opts) => {
      const res = new Recorded(`incus:index:${kind}`, name, { ...args, fingerprint: undefined }, opts);
      made.push({ kind, name, args, opts, res });
      return res as any;
    },
    lookup: (kind, args) => {
      lookups.push({ kind, args });
      return pulumi.output<Record<string, any>>(
        kind === "Image" ? { fingerprint: "4262dabf2a3b" } : { devices: { root: { type: "disk", path: "/", pool: "default" } } },
      );
    },
    extensions: async () => [],
  };
  const file = path.join(__dirname, "..", "..", "examples", "compose", "compose.yaml");
  const plan = planCompose({ file, variables: { DB_PASSWORD: "pw" } });
  declareStack(new Parent("t:c:C", "app"), "app", plan, {}, factory);
  return { made, lookups };
}

const value = <T>(o: pulumi.Input<T>): Promise<T> => new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));

test("its own image store: one Image per local image, copied from the default project by fingerprint, before the instances", async () => {
  const { made, lookups } = declare();
  expect(made.map((m) => m.kind)).toEqual(["Project", "Profile", "Network", "StorageVolume", "Image", "Instance", "Instance", "Instance", "Instance"]);
  const image = made.find((m) => m.kind === "Image")!;
  expect(lookups).toContainEqual({ kind: "Image", args: { alias: "pulumi-incus/busybox", project: "default" } });
  expect(await value((image.args.source as any).fingerprint)).toBe("4262dabf2a3b");
  expect((image.args.source as any).project).toBe("default");
  expect(image.args.aliases).toEqual(["pulumi-incus/busybox"]);
  for (const i of made.filter((m) => m.kind === "Instance")) {
    expect(i.args.image).toBe("pulumi-incus/busybox");
    expect(i.opts.dependsOn as pulumi.Resource[]).toContain(image.res);
  }
});

test("the default project's images (x-incus.project.sharedImages): no Image, the instances use the alias as it is", () => {
  const shared = planCompose({
    compose: { name: "s", "x-incus": { project: { sharedImages: true } }, services: { a: { image: "x", "x-incus": { image: "al" } } } },
  });
  const rec: string[] = [];
  const factory: ComposeFactory = {
    resource: (kind, name, args, opts) => {
      rec.push(kind);
      return new Recorded(`incus:index:${kind}`, name, args, opts) as any;
    },
    lookup: () => pulumi.output<Record<string, any>>({ devices: {} }),
    extensions: async () => [],
  };
  declareStack(new Parent("t:c:C", "shared"), "shared", shared, {}, factory);
  expect(shared.project.config["features.images"]).toBe("false");
  expect(rec).toEqual(["Project", "Profile", "Instance"]);
});
