// The generator's writing half: the objects read (read.ts) as a TypeScript or Pulumi YAML program. Every resource has
// `adopt: true`; a value naming another generated object becomes a reference to that resource's `name` output, and a
// secret-looking key's value becomes a secret of the stack config.
import { stringify } from "yaml";
import { credentialLooking } from "../engine/secrets";
import type { Connection, Found, GeneratedKind } from "./read";

type State = Record<string, unknown>;

/** A reference to another generated resource's output (`name`, or an image's `fingerprint`). */
class Ref {
  constructor(
    readonly variable: string,
    readonly attr = "name",
  ) {}
}
/** Several parts joined into one string (a network's `security.acls` naming several ACLs). */
class Joined {
  constructor(readonly parts: (string | Ref)[]) {}
}
/** A value of the stack config, set with `pulumi config set --secret`. */
class Secret {
  constructor(readonly key: string) {}
}

/** Keys whose values are credentials (engine/secrets.ts): `*.password`, `*_key`, tokens, secrets. */
export const secretLooking = credentialLooking;

const PREFIX: Record<GeneratedKind, string> = {
  StoragePool: "pool",
  NetworkAcl: "acl",
  Network: "network",
  StorageVolume: "volume",
  Profile: "profile",
  Image: "image",
  ImageAlias: "alias",
  Instance: "instance",
  InstanceSnapshot: "snapshot",
};

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
  /** The props as read (before references and secrets were put in). */
  read: State;
  id?: string;
}

/** How an object is named in the program: the Incus name, with its parent where names repeat per parent. */
function label(f: Found): string {
  const p = f.props;
  if (f.kind === "StorageVolume") return `${p.pool}-${p.name}`;
  if (f.kind === "InstanceSnapshot") return `${p.instance}-${p.name}`;
  if (f.kind === "Image") return String((p.aliases as string[] | undefined)?.[0] ?? String(p.fingerprint).slice(0, 12));
  return String(p.name);
}

/** Each object with its variable name and its values with references and secrets put in. */
function plan(all: Found[], secrets: Record<string, string>, importing: boolean): Planned[] {
  const used = new Set<string>();
  // Imported, an image keeps its aliases (what the import reads): no ImageAlias resource for them besides.
  const images = new Set(all.filter((f) => f.kind === "Image").map((f) => f.props.fingerprint));
  const found = importing ? all.filter((f) => !(f.kind === "ImageAlias" && images.has(f.props.target))) : all;
  const generated = new Set(found.map((f) => f.kind));
  const planned: Planned[] = found.map((f) => {
    const logical = label(f);
    const base = identifier(`${PREFIX[f.kind]}_${logical}`);
    let variable = base;
    for (let n = 2; used.has(variable); n++) variable = `${base}_${n}`;
    used.add(variable);
    return { kind: f.kind, variable, logical, props: f.props, read: structuredClone(f.props), id: f.id };
  });
  const ref = (kind: GeneratedKind, match: State, attr = "name"): unknown => {
    const p = planned.find((x) => x.kind === kind && Object.entries(match).every(([k, v]) => x.read[k] === v));
    return p ? new Ref(p.variable, attr) : Object.values(match)[0];
  };
  const secretOf = (p: Planned, where: string, key: string, value: unknown) => {
    if (typeof value !== "string" || !secretLooking(key)) return value;
    const name = identifier(`${p.variable}_${where}_${key}`);
    secrets[name] = value;
    return new Secret(name);
  };
  for (const p of planned) {
    const props = p.props;
    const config = props.config as Record<string, unknown> | undefined;
    if (config) {
      const out: State = {};
      for (const [k, v] of Object.entries(config)) {
        if (p.kind === "Network" && k === "security.acls" && typeof v === "string") {
          const parts = v.split(",").map((a) => ref("NetworkAcl", { name: a.trim() }) as string | Ref);
          out[k] = parts.length === 1 ? parts[0] : new Joined(parts.flatMap((x, i) => (i ? [",", x] : [x])));
        } else out[k] = secretOf(p, "config", k, v);
      }
      props.config = out;
    }
    const devices = props.devices as Record<string, Record<string, unknown>> | undefined;
    if (devices) {
      for (const [dev, opts] of Object.entries(devices)) {
        const d: State = {};
        for (const [k, v] of Object.entries(opts)) {
          if (k === "network" && opts.type === "nic") d[k] = ref("Network", { name: v });
          else if (k === "source" && opts.type === "disk" && opts.pool) d[k] = ref("StorageVolume", { name: v, pool: opts.pool });
          else if (k === "pool" && opts.type === "disk") d[k] = ref("StoragePool", { name: v });
          else d[k] = secretOf(p, dev, k, v);
        }
        devices[dev] = d;
      }
    }
    if (p.kind === "StorageVolume") props.pool = ref("StoragePool", { name: props.pool });
    if (p.kind === "Instance" && Array.isArray(props.profiles)) props.profiles = props.profiles.map((name) => ref("Profile", { name }));
    if (p.kind === "Instance" && props.image) props.image = ref("Image", { fingerprint: props.image }, "fingerprint");
    if (p.kind === "ImageAlias") props.target = ref("Image", { fingerprint: props.target }, "fingerprint");
    if (p.kind === "InstanceSnapshot") props.instance = ref("Instance", { name: props.instance });
    // Each alias is an ImageAlias resource of its own (when those are generated): the image keeps none of them.
    if (p.kind === "Image" && generated.has("ImageAlias")) delete props.aliases;
  }
  return planned;
}

// ---- TypeScript ------------------------------------------------------------------------------------------------

function tsValue(v: unknown, indent: string): string {
  if (v instanceof Ref) return `${v.variable}.${v.attr}`;
  if (v instanceof Secret) return `config.requireSecret(${JSON.stringify(v.key)})`;
  if (v instanceof Joined)
    return `pulumi.interpolate\`${v.parts.map((x) => (x instanceof Ref ? `\${${x.variable}.${x.attr}}` : x.replace(/[`$\\]/g, "\\$&"))).join("")}\``;
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
  if (v instanceof Ref) return `\${${v.variable}.${v.attr}}`;
  if (v instanceof Secret) return { "fn::secret": `\${${v.key}}` };
  if (v instanceof Joined) return v.parts.map((x) => (x instanceof Ref ? `\${${x.variable}.${x.attr}}` : x.replace(/\$/g, "$$$$"))).join("");
  if (Array.isArray(v)) return v.map(yamlValue);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, yamlValue(x)]));
  // A literal `${` would read as an interpolation.
  return typeof v === "string" ? v.replace(/\$\{/g, "$${") : v;
}

function yamlProgram(planned: Planned[], name: string, secrets: Record<string, string>, plugin?: string, adopt = true): string {
  const doc: State = {
    name,
    runtime: "yaml",
    ...(plugin ? { packages: { incus: plugin } } : {}),
    ...(Object.keys(secrets).length ? { config: Object.fromEntries(Object.keys(secrets).map((k) => [k, { type: "string" }])) } : {}),
    resources: Object.fromEntries(
      planned.map((p) => [p.variable, { type: `incus:index:${p.kind}`, properties: yamlValue(adopt ? { ...p.props, adopt: true } : p.props) }]),
    ),
  };
  const head = adopt
    ? "Every object is adopted: the first `pulumi up` takes them over without a change."
    : "Import the objects first: `pulumi import --file import.json --generate-code=false`; then the preview is clean.";
  return `# Generated by \`pulumi-incus generate\`. ${head}\n${stringify(doc)}`;
}

/** `pulumi import --file`: each object by the plugin's type, the program's name for it and its API path. */
function importFile(planned: Planned[]): string {
  const resources = planned.filter((p) => p.id).map((p) => ({ type: `incus:index:${p.kind}`, name: p.variable, id: p.id }));
  return `${JSON.stringify({ resources }, null, 2)}\n`;
}

// ---- the program's files ---------------------------------------------------------------------------------------

export interface EmitOptions {
  language: "ts" | "yaml";
  name: string;
  stack: string;
  conn: Connection;
  /** YAML: the `packages:` entry that finds the incus plugin (none: an installed plugin). */
  plugin?: string;
  /** YAML: write import.json for `pulumi import --file`, and the program without `adopt` (the import records the objects). */
  importFile?: boolean;
  /** TS: the versions the program's package.json asks for. */
  versions: { pulumiIncus: string; pulumi: string; typescript: string };
}

export function emit(found: Found[], o: EmitOptions): Program {
  const secrets: Record<string, string> = {};
  const planned = plan(structuredClone(found), secrets, !!o.importFile);
  const counts: Record<string, number> = {};
  for (const p of planned) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  const stackConfig = Object.fromEntries(
    Object.entries({ project: o.conn.project, remote: o.conn.remote, socket: o.conn.socket })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`incus:${k}`, v]),
  );
  const files: Record<string, string> = { [`Pulumi.${o.stack}.yaml`]: stringify({ config: stackConfig }) };
  if (o.language === "yaml") {
    files["Pulumi.yaml"] = yamlProgram(planned, o.name, secrets, o.plugin, !o.importFile);
    if (o.importFile) files["import.json"] = importFile(planned);
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
