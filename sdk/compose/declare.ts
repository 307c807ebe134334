// A compose plan → resources of this package, through a factory: the TypeScript component (stack.ts) declares the
// SDK's dynamic resources, the plugin's `incus:compose:Stack` (provider/plugin/compose.ts) declares the plugin's own
// custom resources (`incus:index:<Kind>`). One mapping, two ways to declare; nothing here sends a request except the
// server's extensions, asked only for a registry image (to say why it is refused).
import * as pulumi from "@pulumi/pulumi";
import type { Plan } from "./plan";
import { incusName, type ServicePlan } from "./service";

/** The kinds a compose stack declares. */
export type ComposeKind = "Project" | "Profile" | "Network" | "StorageVolume" | "Image" | "Instance";

/** A declared resource: its outputs by name (`name`, `fingerprint`, `ipv4Addresses`, …). */
export type Declared = pulumi.Resource & Record<string, pulumi.Output<any>>;

/** How the stack declares resources and reads the server; one per host (the TypeScript SDK, the plugin). */
export interface ComposeFactory {
  resource(kind: ComposeKind, name: string, args: Record<string, unknown>, opts: pulumi.CustomResourceOptions): Declared;
  /** A read of an existing object (getProfile, getImage), in previews too. */
  lookup(kind: "Profile" | "Image", args: Record<string, unknown>): pulumi.Output<Record<string, any>>;
  /** The server's API extensions. */
  extensions(conn: Record<string, string>): Promise<string[]>;
}

/** What the stack reports per compose service. */
export interface ComposeServiceOutput {
  /** Incus instance names, one per replica (`<service>-<n>`). */
  instances: string[];
  /** Global IPv4 addresses of each instance, in the same order. */
  ipv4Addresses: string[][];
  /** Global IPv6 addresses of each instance, in the same order. */
  ipv6Addresses: string[][];
}

/** The connection overrides given (undefined ones left out, so the stack's config applies). */
export function connection(args: { remote?: string; socket?: string; configDir?: string }): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ remote: args.remote, socket: args.socket, configDir: args.configDir }).filter(([, v]) => v !== undefined),
  ) as Record<string, string>;
}

/** Declares the plan's resources as children of `parent`; returns the stack's outputs. */
export function declareStack(
  parent: pulumi.ComponentResource,
  name: string,
  plan: Plan,
  conn: Record<string, string>,
  factory: ComposeFactory,
): { projectName: pulumi.Output<string>; services: pulumi.Output<Record<string, ComposeServiceOutput>> } {
  const child = { parent };
  const project = factory.resource(
    "Project",
    `${name}-project`,
    { ...conn, name: plan.project.name, description: plan.project.description, config: plan.project.config },
    child,
  );
  const inProject = { ...conn, project: project.name };
  const uses: pulumi.Resource[] = [];

  if (plan.profile) {
    const src = factory.lookup("Profile", { ...conn, name: plan.profile.source, project: plan.profile.project });
    const nics = plan.profile.nics;
    const devices = src.apply((p) =>
      Object.fromEntries(
        Object.entries<Record<string, string>>(p.devices ?? {}).filter(([, v]) => (v.type === "disk" && v.path === "/") || (nics && v.type === "nic")),
      ),
    );
    uses.push(factory.resource("Profile", `${name}-default`, { ...inProject, name: "default", adopt: true, devices }, child));
  }
  const networksProject = plan.project.config["features.networks"] === "true" ? project.name : "default";
  for (const n of plan.networks) {
    if (n.external) continue; // looked up by name, never created or deleted
    uses.push(
      factory.resource(
        "Network",
        `${name}-net-${n.key}`,
        { ...conn, project: networksProject, name: n.name, type: n.type, description: n.description, config: n.config },
        { ...child, dependsOn: [project] },
      ),
    );
  }
  for (const v of plan.volumes) {
    if (v.external) continue;
    uses.push(
      factory.resource(
        "StorageVolume",
        `${name}-vol-${v.key}`,
        { ...inProject, pool: v.pool, name: v.name, description: v.description, config: v.config },
        child,
      ),
    );
  }

  // Images: with its own image store (features.images), the project gets each local image the services name from the
  // images' project (a copy inside the server: a new record of the same file, no download), alias included.
  const ownImages = plan.project.config["features.images"] === "true";
  const copies = new Map<string, Declared>();
  const imageOf = (s: ServicePlan): { args: Record<string, unknown>; needs: pulumi.Resource[] } => {
    if ("registry" in s.image) return { args: { image: refuseRegistry(s.key, s.image.registry, conn, factory) }, needs: [] };
    const { alias, fingerprint, server, protocol } = s.image;
    const image = (alias ?? fingerprint)!;
    if (server || !ownImages) return { args: { image, imageServer: server, imageProtocol: protocol }, needs: [] };
    let copy = copies.get(image);
    if (!copy) {
      const from = plan.imagesFrom;
      const fp = alias ? factory.lookup("Image", { ...conn, alias, project: from }).apply((i) => String(i.fingerprint)) : fingerprint;
      copy = factory.resource(
        "Image",
        `${name}-image-${incusName(image)}`,
        { ...inProject, source: { fingerprint: fp, project: from }, aliases: alias ? [alias] : undefined },
        { ...child, dependsOn: [project] },
      );
      copies.set(image, copy);
    }
    return { args: { image }, needs: [copy] };
  };

  const instances = new Map<string, Declared[]>();
  const byKey = new Map(plan.services.map((s) => [s.key, s]));
  const declare = (s: ServicePlan): Declared[] => {
    const made = instances.get(s.key);
    if (made) return made;
    const deps = s.dependsOn.flatMap((d) => declare(byKey.get(d.service)!));
    const image = imageOf(s);
    const files = Object.fromEntries(
      Object.entries(s.files).map(([p, f]) => [
        p,
        { content: f.content !== undefined && f.secret ? pulumi.secret(f.content) : f.content, source: f.source, mode: f.mode, uid: f.uid, gid: f.gid },
      ]),
    );
    const list = s.names.map((instanceName) =>
      factory.resource(
        "Instance",
        `${name}-${instanceName}`,
        {
          ...inProject,
          ...image.args,
          name: instanceName,
          profiles: s.profiles,
          config: s.config,
          devices: s.devices,
          files: Object.keys(files).length ? files : undefined,
          commands: Object.keys(s.commands).length ? s.commands : undefined,
          waitFor: Object.keys(s.waitFor).length ? s.waitFor : undefined,
        },
        { ...child, dependsOn: [...uses, ...image.needs, ...deps] },
      ),
    );
    instances.set(s.key, list);
    return list;
  };
  for (const s of plan.services) declare(s);

  const services = pulumi.all(
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
  return { projectName: project.name as pulumi.Output<string>, services };
}

/** A registry image: refused at preview, naming the server's missing extension. */
function refuseRegistry(key: string, ref: string, conn: Record<string, string>, factory: ComposeFactory): Promise<string> {
  const where = `services.${key}.image`;
  const refused = factory.extensions(conn).then((ext) => {
    const hint = `map it to an Incus image with \`x-incus.images: { "${ref}": <alias> }\` or \`services.${key}.x-incus.image\``;
    if (!ext.some((e) => /oci/.test(e)))
      throw new pulumi.RunError(
        `${where}: "${ref}" is a registry (OCI) image, and this Incus server has no \`oci\` API extension (Incus 6.0 cannot run OCI images); ${hint}`,
      );
    throw new pulumi.RunError(`${where}: "${ref}" is a registry (OCI) image; ComposeStack does not run OCI images yet; ${hint}`);
  });
  // Marked handled now: Pulumi reads the input later and reports the error itself (else Node warns in the preview).
  refused.catch(() => undefined);
  return refused;
}
