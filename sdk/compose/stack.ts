// ComposeStack: a compose file as a component of ordinary resources of this package (Project, Profile, Network,
// StorageVolume, Instance), so diff, adopt, secrets, waits and the owner rules are theirs. The file is read, checked
// and mapped (plan.ts) before anything is declared: a bad file stops the program with every error, each naming its
// path, before any request. Only a registry (OCI) image needs the server: one GET of /1.0 for its extensions.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as incus from "../generated";
import { configuredProvider } from "../lookup";
import type { ComposeFactory, ComposeServiceOutput } from "./declare";
import type { Plan, PlanInput } from "./plan";

export type { ComposeServiceOutput } from "./declare";

export interface ComposeStackArgs extends PlanInput {
  /** The Incus remote (from the incus CLI's config.yml), as on every resource (default: the stack's `incus:*` config, then the CLI's). */
  remote?: string;
  /** An explicit unix socket of the Incus daemon; wins over `remote`. */
  socket?: string;
  /** The incus CLI's config directory. */
  configDir?: string;
}

/**
 * A compose file (docker-compose.yml) on Incus: one project, its default profile, a network per compose network, a
 * storage volume per named volume and an instance per service replica, ordered by `depends_on`.
 *
 * ```ts
 * const app = new incus.ComposeStack("app", { file: "compose.yaml" });
 * export const web = app.services.apply((s) => s.web.instances);
 * ```
 */
export class ComposeStack extends pulumi.ComponentResource {
  /** The Incus project holding the stack. */
  declare readonly projectName: pulumi.Output<string>;
  /** Per compose service: its instances and their addresses. */
  declare readonly services: pulumi.Output<Record<string, ComposeServiceOutput>>;

  constructor(name: string, args: ComposeStackArgs, opts: pulumi.ComponentResourceOptions = {}) {
    // Loaded here, not at import: programs that do not use compose never load yaml or ajv.
    const { planCompose, ComposeErrors } = require("./plan") as typeof import("./plan");
    const { connection, declareStack } = require("./declare") as typeof import("./declare");
    let plan: Plan;
    try {
      // Relative paths are the Pulumi project's (the folder of Pulumi.yaml) when the language host says which it is
      // (older hosts do not), else the program's working directory.
      const given = pulumi.getRootDirectory();
      const root = path.isAbsolute(given) && fs.existsSync(given) ? given : process.cwd();
      plan = planCompose({ ...args, file: args.file && path.resolve(root, args.file), dir: path.resolve(root, args.dir ?? ".") });
    } catch (err) {
      // A clean stop: the errors, no stack trace.
      if (err instanceof ComposeErrors) throw new pulumi.RunError(`ComposeStack "${name}": ${err.message}`);
      throw err;
    }
    super("incus:compose:Stack", name, {}, opts);
    const conn = connection(args);
    const out = declareStack(this, name, plan, conn, dynamicFactory);
    this.projectName = out.projectName;
    this.services = out.services;
    this.registerOutputs({ projectName: this.projectName, services: this.services });
  }
}

/** The SDK's dynamic resources and the program's own lookups. */
const dynamicFactory: ComposeFactory = {
  resource: (kind, name, args, opts) => new (incus as any)[kind](name, args, opts),
  lookup: (kind, args) => (incus as any)[`get${kind}Output`](args),
  extensions: serverExtensions,
};

const extensions = new Map<string, Promise<string[]>>();
function serverExtensions(conn: object): Promise<string[]> {
  const key = JSON.stringify(conn);
  if (!extensions.has(key))
    extensions.set(
      key,
      (async () => {
        const client = configuredProvider().clientFor(conn);
        const res = await client.get("/1.0");
        return ((res.value as { api_extensions?: string[] }).api_extensions ?? []) as string[];
      })(),
    );
  return extensions.get(key)!;
}
