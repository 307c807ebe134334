// The generator's writing half: the objects read (read.ts) as a TypeScript or Pulumi YAML program. Every resource has
// `adopt: true`; a value naming another generated object becomes a reference to that resource's `name` output, and a
// secret-looking key's value becomes a secret of the stack config.
import { stringify } from "yaml";
import type { Connection, Found, GeneratedKind } from "./read";

type State = Record<string, unknown>;

/** A reference to another generated resource's `name`. */
class Ref {
  constructor(readonly variable: string) {}
}
/** Several parts joined into one string (a network's `security.acls` naming several ACLs). */
class Joined {
  constructor(readonly parts: (string | Ref)[]) {}
}
/** A value of the stack config, set with `pulumi config set --secret`. */
class Secret {
  constructor(readonly key: string) {}
}

/** Keys whose values are credentials: `*.password`, anything with `key` or `token` in its name. */
export function secretLooking(key: string): boolean {
  return /\.password$|key|token/i.test(key);
}

const PREFIX: Record<GeneratedKind, string> = { NetworkAcl: "acl", Network: "network", StorageVolume: "volume", Profile: "profile" };

function identifier(text: string): string {
  const id = text.replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(id) ? `_${id}` : id;
}

export interface Program {
  language: "ts" | "yaml";
  /** File name → content. */
  files: Record<string, string>;
  /** Stack config secrets the user (or the caller) must set: config key → value read from the server. */
  secrets: Record<string, string>;
  counts: Record<string, number>;
}

interface Planned {
  kind: GeneratedKind;
  variable: string;
  logical: string;
  props: State;
}

/** Each object with its variable name and its values with references and secrets put in. */
function plan(found: Found[], secrets: Record<string, string>): Planned[] {
  const used = new Set<string>();
  const planned = found.map((f) => {
    const base = identifier(`${PREFIX[f.kind]}_${f.kind === "StorageVolume" ? `${f.props.pool}_` : ""}${f.props.name}`);
    let variable = base;
    for (let n = 2; used.has(variable); n++) variable = `${base}_${n}`;
    used.add(variable);
    const logical = f.kind === "StorageVolume" ? `${f.props.pool}-${f.props.name}` : String(f.props.name);
    return { kind: f.kind, variable, logical, props: f.props };
  });
  const byName = (kind: GeneratedKind, name: unknown, pool?: unknown) =>
    planned.find((p) => p.kind === kind && p.props.name === name && (pool === undefined || p.props.pool === pool));
  const ref = (kind: GeneratedKind, name: unknown, pool?: unknown) => {
    const p = byName(kind, name, pool);
    return p ? new Ref(p.variable) : name;
  };
  const secretOf = (p: Planned, where: string, key: string, value: unknown) => {
    if (typeof value !== "string" || !secretLooking(key)) return value;
    const name = identifier(`${p.variable}_${where}_${key}`);
    secrets[name] = value;
    return new Secret(name);
  };
  for (const p of planned) {
    const config = p.props.config as Record<string, unknown> | undefined;
    if (config) {
      const out: State = {};
      for (const [k, v] of Object.entries(config)) {
        if (p.kind === "Network" && k === "security.acls" && typeof v === "string") {
          const parts = v.split(",").map((a) => ref("NetworkAcl", a.trim()) as string | Ref);
          out[k] = parts.length === 1 ? parts[0] : new Joined(parts.flatMap((x, i) => (i ? [",", x] : [x])));
        } else out[k] = secretOf(p, "config", k, v);
      }
      p.props.config = out;
    }
    const devices = p.props.devices as Record<string, Record<string, unknown>> | undefined;
    if (devices) {
      for (const [dev, opts] of Object.entries(devices)) {
        const d: State = {};
        for (const [k, v] of Object.entries(opts)) {
          if (k === "network" && opts.type === "nic") d[k] = ref("Network", v);
          else if (k === "source" && opts.type === "disk" && opts.pool) d[k] = ref("StorageVolume", v, opts.pool);
          else d[k] = secretOf(p, dev, k, v);
        }
        devices[dev] = d;
      }
    }
  }
  return planned;
}

// ---- TypeScript ------------------------------------------------------------------------------------------------

function tsValue(v: unknown, indent: string): string {
  if (v instanceof Ref) return `${v.variable}.name`;
  if (v instanceof Secret) return `config.requireSecret(${JSON.stringify(v.key)})`;
  if (v instanceof Joined)
    return `pulumi.interpolate\`${v.parts.map((x) => (x instanceof Ref ? `\${${x.variable}.name}` : x.replace(/[`$\\]/g, "\\$&"))).join("")}\``;
  if (Array.isArray(v)) return `[${v.map((x) => tsValue(x, indent)).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const inner = `${indent}  `;
    const entries = Object.entries(v).map(([k, x]) => `${inner}${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${tsValue(x, inner)},`);
    return `{\n${entries.join("\n")}\n${indent}}`;
  }
  return JSON.stringify(v);
}

function typescript(planned: Planned[], project: string, secrets: boolean): string {
  const lines = [
    `// Generated by \`pulumi-incus generate\` from project "${project}". Every object is adopted: the first \`pulumi up\``,
    "// takes them over without a change; edit them here from now on.",
    'import * as pulumi from "@pulumi/pulumi";',
    'import * as incus from "pulumi-incus";',
    "",
    ...(secrets ? ["const config = new pulumi.Config();", ""] : []),
  ];
  for (const p of planned) {
    lines.push(`export const ${p.variable} = new incus.${p.kind}(${JSON.stringify(p.logical)}, ${tsValue({ ...p.props, adopt: true }, "")});`);
  }
  return `${lines.join("\n")}\n`;
}

// ---- YAML ------------------------------------------------------------------------------------------------------

function yamlValue(v: unknown): unknown {
  if (v instanceof Ref) return `\${${v.variable}.name}`;
  if (v instanceof Secret) return { "fn::secret": `\${${v.key}}` };
  if (v instanceof Joined) return v.parts.map((x) => (x instanceof Ref ? `\${${x.variable}.name}` : x.replace(/\$/g, "$$$$"))).join("");
  if (Array.isArray(v)) return v.map(yamlValue);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, yamlValue(x)]));
  // A literal `${` would read as an interpolation.
  return typeof v === "string" ? v.replace(/\$\{/g, "$${") : v;
}

function yamlProgram(planned: Planned[], name: string, secrets: Record<string, string>, plugin?: string): string {
  const doc: State = {
    name,
    runtime: "yaml",
    ...(plugin ? { packages: { incus: plugin } } : {}),
    ...(Object.keys(secrets).length ? { config: Object.fromEntries(Object.keys(secrets).map((k) => [k, { type: "string" }])) } : {}),
    resources: Object.fromEntries(planned.map((p) => [p.variable, { type: `incus:index:${p.kind}`, properties: yamlValue({ ...p.props, adopt: true }) }])),
  };
  return `# Generated by \`pulumi-incus generate\`. Every object is adopted: the first \`pulumi up\` takes them over without a change.\n${stringify(doc)}`;
}

// ---- the program's files ---------------------------------------------------------------------------------------

export interface EmitOptions {
  language: "ts" | "yaml";
  name: string;
  stack: string;
  conn: Connection;
  /** YAML: the `packages:` entry that finds the incus plugin (none: an installed plugin). */
  plugin?: string;
  /** TS: the versions the program's package.json asks for. */
  versions: { pulumiIncus: string; pulumi: string; typescript: string };
}

export function emit(found: Found[], o: EmitOptions): Program {
  const secrets: Record<string, string> = {};
  const planned = plan(structuredClone(found), secrets);
  const counts: Record<string, number> = {};
  for (const p of planned) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  const stackConfig = Object.fromEntries(
    Object.entries({ project: o.conn.project, remote: o.conn.remote, socket: o.conn.socket })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`incus:${k}`, v]),
  );
  const files: Record<string, string> = { [`Pulumi.${o.stack}.yaml`]: stringify({ config: stackConfig }) };
  if (o.language === "yaml") {
    files["Pulumi.yaml"] = yamlProgram(planned, o.name, secrets, o.plugin);
  } else {
    files["Pulumi.yaml"] = stringify({ name: o.name, runtime: "nodejs", description: `Generated from Incus project ${o.conn.project}` });
    files["index.ts"] = typescript(planned, o.conn.project, Object.keys(secrets).length > 0);
    files["package.json"] = `${JSON.stringify(
      {
        name: o.name,
        private: true,
        main: "index.ts",
        dependencies: { "pulumi-incus": o.versions.pulumiIncus, "@pulumi/pulumi": o.versions.pulumi },
        devDependencies: { typescript: o.versions.typescript },
      },
      null,
      2,
    )}\n`;
    files["tsconfig.json"] =
      `${JSON.stringify({ compilerOptions: { strict: true, target: "es2022", module: "commonjs", moduleResolution: "node", esModuleInterop: true } }, null, 2)}\n`;
  }
  return { language: o.language, files, secrets, counts };
}
