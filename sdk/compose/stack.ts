// ComposeStack: a compose file as a component of ordinary resources of this package (Project, Profile, Network,
// StorageVolume, Instance), so diff, adopt, secrets, waits and the owner rules are theirs. The file is read, checked
// and mapped (plan.ts) before anything is declared: a bad file stops the program with every error, each naming its
// path, before any request. Only a registry (OCI) image needs the server: one GET of /1.0 for its extensions.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as incus from "../generated";
import { configuredProvider } from "../lookup";
import type { Plan, PlanInput } from "./plan";
import type { ServicePlan } from "./service";

export interface ComposeStackArgs extends PlanInput {
  /** Connection overrides, as on every resource (default: the stack's `incus:*` config, then the incus CLI's). */
  remote?: string;
  socket?: string;
  configDir?: string;
}

/** What the stack reports per compose service. */
export interface ComposeServiceOutput {
  /** Incus instance names, one per replica (`<service>-<n>`). */
  instances: string[];
  /** Global IPv4 addresses of each instance, in the same order. */
  ipv4Addresses: string[][];
  ipv6Addresses: string[][];
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
    const conn = Object.fromEntries(Object.entries({ remote: args.remote, socket: args.socket, configDir: args.configDir }).filter(([, v]) => v !== undefined));
    const parent = { parent: this };
    const project = new incus.Project(
      `${name}-project`,
      { ...conn, name: plan.project.name, description: plan.project.description, config: plan.project.config },
      parent,
    );
    const inProject = { ...conn, project: project.name };
    const uses: pulumi.Resource[] = [];

    if (plan.profile) {
      const src = incus.getProfileOutput({ ...conn, name: plan.profile.source, project: plan.profile.project });
      const nics = plan.profile.nics;
      const devices = src.devices.apply((d) =>
        Object.fromEntries(Object.entries(d ?? {}).filter(([, v]) => (v.type === "disk" && v.path === "/") || (nics && v.type === "nic"))),
      );
      uses.push(new incus.Profile(`${name}-default`, { ...inProject, name: "default", adopt: true, devices }, parent));
    }
    const networksProject = plan.project.config["features.networks"] === "true" ? project.name : "default";
    for (const n of plan.networks) {
      if (n.external) continue; // looked up by name, never created or deleted
      uses.push(
        new incus.Network(
          `${name}-net-${n.key}`,
          { ...conn, project: networksProject, name: n.name, type: n.type as incus.NetworkArgs["type"], description: n.description, config: n.config },
          {
            ...parent,
            dependsOn: [project],
          },
        ),
      );
    }
    for (const v of plan.volumes) {
      if (v.external) continue;
      uses.push(
        new incus.StorageVolume(`${name}-vol-${v.key}`, { ...inProject, pool: v.pool, name: v.name, description: v.description, config: v.config }, parent),
      );
    }

    const instances = new Map<string, incus.Instance[]>();
    const byKey = new Map(plan.services.map((s) => [s.key, s]));
    const declare = (s: ServicePlan): incus.Instance[] => {
      const made = instances.get(s.key);
      if (made) return made;
      const deps = s.dependsOn.flatMap((d) => declare(byKey.get(d.service)!));
      const image = imageArgs(s, conn);
      const files = Object.fromEntries(
        Object.entries(s.files).map(([p, f]) => [
          p,
          { content: f.content !== undefined && f.secret ? pulumi.secret(f.content) : f.content, source: f.source, mode: f.mode, uid: f.uid, gid: f.gid },
        ]),
      );
      const list = s.names.map(
        (instanceName) =>
          new incus.Instance(
            `${name}-${instanceName}`,
            {
              ...inProject,
              ...image,
              name: instanceName,
              profiles: s.profiles,
              config: s.config,
              devices: s.devices,
              files: Object.keys(files).length ? files : undefined,
              commands: Object.keys(s.commands).length ? s.commands : undefined,
              waitFor: Object.keys(s.waitFor).length ? s.waitFor : undefined,
            },
            { ...parent, dependsOn: [...uses, ...deps] },
          ),
      );
      instances.set(s.key, list);
      return list;
    };
    for (const s of plan.services) declare(s);

    this.projectName = project.name;
    this.services = pulumi.all(
      Object.fromEntries(
        [...instances].map(([key, list]) => [
          key,
          pulumi.all(list.map((i) => pulumi.all([i.name, i.ipv4Addresses, i.ipv6Addresses]))).apply((rows) => ({
            instances: rows.map((r) => r[0]),
            ipv4Addresses: rows.map((r) => r[1] ?? []),
            ipv6Addresses: rows.map((r) => r[2] ?? []),
          })),
        ]),
      ),
    ) as pulumi.Output<Record<string, ComposeServiceOutput>>;
    this.registerOutputs({ projectName: this.projectName, services: this.services });
  }
}

/** The instance's image args; a registry image is refused at preview, naming the server's missing extension. */
function imageArgs(s: ServicePlan, conn: object): { image: pulumi.Input<string>; imageServer?: string; imageProtocol?: "simplestreams" | "incus" } {
  if (!("registry" in s.image)) return { image: (s.image.alias ?? s.image.fingerprint)!, imageServer: s.image.server, imageProtocol: s.image.protocol };
  const ref = s.image.registry;
  const where = `services.${s.key}.image`;
  const refused = serverExtensions(conn).then((ext) => {
    const hint = `map it to an Incus image with \`x-incus.images: { "${ref}": <alias> }\` or \`${`services.${s.key}.x-incus.image`}\``;
    if (!ext.some((e) => /oci/.test(e)))
      throw new pulumi.RunError(
        `${where}: "${ref}" is a registry (OCI) image, and this Incus server has no \`oci\` API extension (Incus 6.0 cannot run OCI images); ${hint}`,
      );
    throw new pulumi.RunError(`${where}: "${ref}" is a registry (OCI) image; ComposeStack does not run OCI images yet; ${hint}`);
  });
  // Marked handled now: Pulumi reads the input later and reports the error itself (else Node warns in the preview).
  refused.catch(() => undefined);
  return { image: refused };
}

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
