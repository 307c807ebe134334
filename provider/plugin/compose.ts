// `incus:compose:Stack`: the ComposeStack component served by the plugin (the provider protocol's Construct), so Pulumi
// YAML and the Python and Go SDKs can run a compose file. The plan and the mapping are the TypeScript component's
// (sdk/compose); its children are this plugin's own resources (`incus:index:<Kind>` custom resources), which the
// engine sends back here like any other, and its reads run in this process on the plugin's engine.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";
import { type ComposeFactory, connection, declareStack } from "../../sdk/compose/declare";
import { clientFor } from "../engine/connection";
import { engineFor } from "../index";

export const COMPOSE_TYPE = "incus:compose:Stack";

/** Output keys each kind's custom resource must list to be readable here (its inputs are listed already). */
const OUTPUTS: Record<string, string[]> = { Image: ["fingerprint"], Instance: ["ipv4Addresses", "ipv6Addresses"] };

const pluginFactory: ComposeFactory = {
  resource: (kind, name, args, opts) => {
    const props = { ...args, ...Object.fromEntries((OUTPUTS[kind] ?? []).map((k) => [k, undefined])) };
    return new PluginResource(`incus:index:${kind}`, name, props, opts) as any;
  },
  lookup: (kind, args) => pulumi.output(args).apply((plain) => engineFor(kind).lookup({ ...plain })),
  extensions: async (conn) => {
    const res = await clientFor(conn).get("/1.0");
    return ((res.value as { api_extensions?: string[] }).api_extensions ?? []) as string[];
  },
};

/** One of this plugin's resources, as a program in another language declares it. */
class PluginResource extends pulumi.CustomResource {}

class ComposeComponent extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super(COMPOSE_TYPE, name, {}, opts);
  }
  finish(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

/** A plan input as a plain value: the file must be read at preview, so an input still unknown then is an error. */
async function known(key: string, v: unknown): Promise<unknown> {
  if (!pulumi.Output.isInstance(v)) return v;
  const out = v as any;
  if (!(await out.isKnown)) throw new pulumi.InputPropertyError({ propertyPath: key, reason: "must be known at preview (the compose file is read then)" });
  return out.promise();
}

export async function constructCompose(name: string, inputs: pulumi.Inputs, opts: pulumi.ComponentResourceOptions): Promise<provider.ConstructResult> {
  const { planCompose, ComposeErrors } = require("../../sdk/compose/plan") as typeof import("../../sdk/compose/plan");
  const args: Record<string, any> = {};
  for (const key of ["file", "compose", "dir", "variables", "envFile", "project", "remote", "socket", "configDir"])
    if (inputs[key] !== undefined) args[key] = await known(key, inputs[key]);
  // Relative paths are the program's folder (the engine starts the plugin there); `${pulumi.cwd}/…` says so in YAML.
  const root = process.cwd();
  let plan: ReturnType<typeof planCompose>;
  try {
    plan = planCompose({ ...args, file: args.file && path.resolve(root, args.file), dir: path.resolve(root, args.dir ?? ".") });
  } catch (err) {
    if (err instanceof ComposeErrors) throw new Error(`ComposeStack "${name}": ${err.message}`);
    throw err;
  }
  const component = new ComposeComponent(name, opts);
  const out = declareStack(component, name, plan, connection(args), pluginFactory);
  const state = { projectName: out.projectName, services: out.services };
  component.finish(state);
  return { urn: component.urn, state };
}
