// pulumi-incus: every Incus kind as a Pulumi resource.
//   import * as incus from "pulumi-incus";
//   const web = new incus.Profile("web", { config: { "limits.cpu": 2 } });
// The classes and their Args/Outputs types are generated from the kind declarations (provider/kinds/*.ts) into
// ./generated (index.ts); loading this module loads @pulumi/pulumi and nothing of the provider.
export * from "./generated";
export type { ResourceClass } from "./resource";
export { type ComposeServiceOutput, ComposeStack, type ComposeStackArgs } from "./compose/stack";
