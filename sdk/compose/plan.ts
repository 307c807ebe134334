// A compose file → a plan of Incus objects (pure data the component turns into resources): read (path or object),
// interpolate (explicit variables, the environment, `.env`), validate against the compose schema, then map. Every
// error of the file is collected and reported together, each naming its path; nothing here sends a request.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ComposeError } from "./errors";
import { interpolate, parseDotEnv } from "./interpolate";
import { incusName, mapService, type ServicePlan } from "./service";
import { checkSettings } from "./settings";
import { validateCompose } from "./validate";

export interface PlanInput {
  /** Path of the compose file, from the Pulumi project's folder (relative paths in the file are from its own folder). */
  file?: string;
  /** The compose document itself, instead of `file`. */
  compose?: object;
  /** Folder for relative paths and `.env` when `compose` is given (default: the current directory). */
  dir?: string;
  /** Variables for interpolation; they win over the process environment, which wins over `.env`. */
  variables?: Record<string, string>;
  /** An env file instead of `<folder>/.env` (missing `.env` is fine; a missing file given here is an error). */
  envFile?: string;
  /** The Incus project's name, instead of the file's `name:`. */
  project?: string;
}

export interface Plan {
  project: { name: string; description: string; config: Record<string, string> };
  /** The project the services' local images are copied from into the stack's own image store. */
  imagesFrom: string;
  /** The project's default profile: the root disk (and NICs when `nics`) of a source profile. */
  profile?: { source: string; project: string; nics: boolean };
  networks: { key: string; name: string; type: string; description?: string; config: Record<string, string>; external: boolean }[];
  volumes: { key: string; name: string; pool: string; description?: string; config: Record<string, string>; external: boolean }[];
  services: ServicePlan[];
}

/** Thrown with every error of the file, one per line. */
export class ComposeErrors extends Error {
  constructor(
    readonly where: string,
    readonly errors: ComposeError[],
  ) {
    super(`${where}: ${errors.length} error${errors.length === 1 ? "" : "s"}:\n${errors.map((e) => `  ${e.message}`).join("\n")}`);
  }
}

const NETWORK_NAME_MAX = 15; // an interface name

export function planCompose(input: PlanInput): Plan {
  const where = input.file ?? "compose document";
  const dir = path.resolve(input.file ? path.dirname(input.file) : (input.dir ?? "."));
  const errors: ComposeError[] = [];
  const stop = () => {
    if (errors.length) throw new ComposeErrors(where, errors);
  };
  let raw: unknown = input.compose;
  if (input.file) {
    if (!fs.existsSync(input.file)) throw new ComposeErrors(where, [new ComposeError("", `no such file: ${path.resolve(input.file)}`)]);
    const YAML = require("yaml") as typeof import("yaml");
    const parsed = YAML.parseDocument(fs.readFileSync(input.file, "utf8"), { uniqueKeys: true });
    for (const e of parsed.errors) errors.push(new ComposeError(`line ${e.linePos?.[0].line ?? "?"}`, e.message.split("\n")[0]));
    stop();
    raw = parsed.toJS();
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ComposeErrors(where, [new ComposeError("", "a compose file is a mapping")]);

  const envPath = input.envFile ?? path.join(dir, ".env");
  if (input.envFile && !fs.existsSync(input.envFile)) throw new ComposeErrors(where, [new ComposeError("", `no such env file: ${input.envFile}`)]);
  const dotenv = fs.existsSync(envPath) ? parseDotEnv(fs.readFileSync(envPath, "utf8")) : {};
  const vars = { ...dotenv, ...process.env, ...input.variables };
  const doc = interpolate(raw, vars, errors) as Record<string, any>;
  stop();
  errors.push(...validateCompose(doc));
  checkSettings(doc, errors);
  stop();

  const x = doc["x-incus"] ?? {};
  const ignore: string[] = x.ignore ?? [];
  for (const k of ["include", "models"]) if (doc[k] !== undefined && !ignore.includes(k)) errors.push(new ComposeError(k, "cannot be mapped to Incus"));
  const projectName = input.project ?? x.project?.name ?? doc.name;
  if (!projectName) errors.push(new ComposeError("name", "required (the Incus project is named from it), or give `project`"));
  const project = incusName(String(projectName ?? "compose"));
  const pool = x.pool ?? "default";

  // Networks: Incus names are interface names (15 characters), so the project's name is a prefix only when it fits.
  const networks: Plan["networks"] = Object.entries<any>(doc.networks ?? {}).map(([key, n]) => {
    const own = n?.["x-incus"] ?? {};
    for (const k of Object.keys(n ?? {}))
      if (!["external", "name", "x-incus", "labels"].includes(k) && !k.startsWith("x-") && !ignore.includes(`networks.${key}.${k}`))
        errors.push(new ComposeError(`networks.${key}.${k}`, "cannot be mapped to Incus (give Incus settings in `x-incus.config`)"));
    const external = !!n?.external;
    const wanted = own.name ?? n?.name ?? (external ? key : `${project}-${key}`);
    const full = incusName(wanted);
    const name =
      external || full.length <= NETWORK_NAME_MAX
        ? external
          ? wanted
          : full
        : `${full.slice(0, 10)}${createHash("sha256").update(full).digest("hex").slice(0, 5)}`;
    return { key, name, type: own.type ?? "bridge", description: own.description, config: stringMap(own.config), external };
  });
  const volumes: Plan["volumes"] = Object.entries<any>(doc.volumes ?? {}).map(([key, v]) => {
    const own = v?.["x-incus"] ?? {};
    for (const k of Object.keys(v ?? {}))
      if (!["external", "name", "x-incus", "labels"].includes(k) && !k.startsWith("x-") && !ignore.includes(`volumes.${key}.${k}`))
        errors.push(new ComposeError(`volumes.${key}.${k}`, "cannot be mapped to Incus (give Incus settings in `x-incus.config`)"));
    const external = !!v?.external;
    const name = own.name ?? v?.name ?? key;
    return { key, name: external ? name : incusName(name), pool: own.pool ?? pool, description: own.description, config: stringMap(own.config), external };
  });
  const source = (kind: "secrets" | "configs") =>
    Object.fromEntries(
      Object.entries<any>(doc[kind] ?? {}).map(([key, d]) => {
        const at = `${kind}.${key}`;
        if (d?.external) errors.push(new ComposeError(`${at}.external`, "cannot be mapped to Incus (give `file`, `environment` or `content`)"));
        if (d?.file !== undefined) {
          const p = path.resolve(dir, d.file);
          if (!fs.existsSync(p)) errors.push(new ComposeError(`${at}.file`, `no such file: ${p}`));
          else return [key, { content: fs.readFileSync(p, "utf8") }];
        } else if (d?.environment !== undefined) {
          if (vars[d.environment] === undefined) errors.push(new ComposeError(`${at}.environment`, `variable ${d.environment} is not set`));
          else return [key, { content: vars[d.environment] }];
        } else if (d?.content !== undefined) return [key, { content: String(d.content) }];
        return [key, {}];
      }),
    );
  const secrets = source("secrets");
  const configs = source("configs");

  const file = {
    dir,
    vars,
    ignore,
    images: x.images ?? {},
    networks: Object.fromEntries(networks.map((n) => [n.key, n.name])),
    volumes: Object.fromEntries(volumes.map((v) => [v.key, { name: v.name, pool: v.pool }])),
    secrets,
    configs,
  };
  const services = Object.entries<any>(doc.services ?? {}).map(([key, s]) => mapService(key, s ?? {}, file, errors));
  linkDependencies(services, errors);
  const seen = new Map<string, string>();
  for (const s of services)
    for (const n of s.names) {
      if (seen.has(n)) errors.push(new ComposeError(`services.${s.key}`, `instance name "${n}" is also one of services.${seen.get(n)}`));
      seen.set(n, s.key);
    }
  stop();

  const profile =
    x.profile?.enabled === false ? undefined : { source: x.profile?.source ?? "default", project: x.profile?.project ?? "default", nics: !!x.profile?.nics };
  return {
    // A project of its own profiles, volumes and images (the services' local images are copied in from the default
    // project: a new record of the same file); `x-incus.project.sharedImages` uses the default project's store instead.
    project: {
      name: project,
      description: x.project?.description ?? `compose project ${project}`,
      config: {
        "features.profiles": "true",
        "features.storage.volumes": "true",
        "features.images": x.project?.sharedImages ? "false" : "true",
        ...stringMap(x.project?.config),
      },
    },
    imagesFrom: x.project?.imagesFrom ?? "default",
    profile,
    networks,
    volumes,
    services,
  };
}

const stringMap = (m: Record<string, unknown> | undefined) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, String(v)]));

/** `depends_on`: the dependency must exist and be able to meet the condition, which sets its wait. */
function linkDependencies(services: ServicePlan[], errors: ComposeError[]): void {
  const byKey = new Map(services.map((s) => [s.key, s]));
  for (const s of services) {
    for (const d of s.dependsOn) {
      const at = `services.${s.key}.depends_on.${d.service}`;
      const dep = byKey.get(d.service);
      if (!dep) errors.push(new ComposeError(at, "no such service"));
      else if (d.condition === "service_healthy" && !dep.commands["2-healthcheck"] && !dep.waitFor.ready)
        errors.push(new ComposeError(at, `condition service_healthy, but services.${d.service} has no healthcheck`));
      else if (d.condition === "service_completed_successfully") {
        const start = dep.commands["1-start"];
        if (!start) errors.push(new ComposeError(at, `condition service_completed_successfully, but services.${d.service} has no command`));
        // It must finish: run in the foreground, so a non-zero exit fails its instance's step.
        else start.command = dep.run!;
      } else dep.waitFor.running = {};
    }
  }
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (k: string, trail: string[]): void => {
    if (done.has(k)) return;
    if (visiting.has(k)) {
      errors.push(new ComposeError(`services.${k}.depends_on`, `dependency cycle: ${[...trail, k].join(" → ")}`));
      return;
    }
    visiting.add(k);
    for (const d of byKey.get(k)?.dependsOn ?? []) if (byKey.has(d.service)) visit(d.service, [...trail, k]);
    visiting.delete(k);
    done.add(k);
  };
  for (const s of services) visit(s.key, []);
}
