// One compose service → the args of its Incus instances (`<service>-<n>`): image, config, devices, files, commands and
// waits. Pure: reads files named by the compose file (env_file, secrets, configs) but sends nothing anywhere. Every
// problem is pushed as an error naming its path.
import * as fs from "node:fs";
import * as path from "node:path";
import { ComposeError, joinPath } from "./errors";
import { parseDotEnv } from "./interpolate";
import { mapFileRefs, mapPorts, mapVolumes } from "./devices";
import { ignored, type ImageRef } from "./settings";

/** Service keys that have an Incus meaning here; any other is refused unless `x-incus.ignore` names it. */
export const SUPPORTED_SERVICE_KEYS = [
  "image",
  "environment",
  "env_file",
  "deploy",
  "scale",
  "ports",
  "volumes",
  "networks",
  "network_mode",
  "configs",
  "secrets",
  "command",
  "entrypoint",
  "healthcheck",
  "depends_on",
  "restart",
  "labels",
  "working_dir",
  "user",
  "cpus",
  "mem_limit",
  "container_name",
  "privileged",
];
const SUPPORTED_DEPLOY_KEYS = ["replicas", "resources"];

export interface FileArg {
  content?: string;
  source?: string;
  mode: string;
  uid?: number;
  gid?: number;
  /** A compose secret: the program wraps its content in `pulumi.secret`. */
  secret: boolean;
}

export interface ServicePlan {
  key: string;
  /** Incus instance names, one per replica. */
  names: string[];
  image: ImageRef | { registry: string };
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  files: Record<string, FileArg>;
  commands: Record<string, { command: string[] | string; when: "create" | "update"; cwd?: string; user?: number; group?: number; timeout?: number }>;
  /** Services this one waits for, and the condition each. */
  dependsOn: { service: string; condition: string }[];
  /** Set once another service depends on this one with service_healthy / started / completed. */
  waitFor: { running?: object; ready?: object };
  profiles?: string[];
  /** The service's command line (entrypoint and command), as shell text. */
  run?: string;
}

/** What the service mapping needs from the rest of the file. */
export interface FileContext {
  dir: string;
  vars: Record<string, string | undefined>;
  ignore: string[];
  images: Record<string, unknown>;
  networks: Record<string, string>;
  volumes: Record<string, { name: string; pool: string }>;
  secrets: Record<string, { content?: string; source?: string }>;
  configs: Record<string, { content?: string; source?: string }>;
}

export const incusName = (s: string, max = 63) => {
  const n = s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  return n.length <= max ? n : n.slice(0, max).replace(/-+$/, "");
};

/** Compose durations (`1m30s`, `500ms`, `10s`) in whole seconds, at least 1. */
export function seconds(d: unknown, fallback: number): number {
  if (d === undefined) return fallback;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, ns: 1e-9 };
  let total = 0;
  for (const m of String(d).matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g)) total += Number(m[1]) * units[m[2]];
  return Math.max(1, Math.ceil(total));
}

/** Compose byte sizes (`512m`, `1g`, `1024`) as Incus sizes (binary units, as compose's are). */
function bytes(v: unknown): string | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(String(v));
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  return unit ? `${m[1]}${unit.toUpperCase()}iB` : `${m[1]}B`;
}

const shellQuote = (a: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
const argv = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : Array.isArray(v) ? v.map((a) => shellQuote(String(a))).join(" ") : String(v);

function envList(v: unknown, vars: FileContext["vars"]): Record<string, string> {
  if (Array.isArray(v)) {
    const out: Record<string, string> = {};
    for (const e of v as string[]) {
      const i = e.indexOf("=");
      if (i >= 0) out[e.slice(0, i)] = e.slice(i + 1);
      else if (vars[e] !== undefined) out[e] = vars[e]!; // `- NAME` takes the variable, when set
    }
    return out;
  }
  return Object.fromEntries(
    Object.entries((v ?? {}) as Record<string, unknown>)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, String(x)]),
  );
}

export function mapService(key: string, s: Record<string, any>, file: FileContext, errors: ComposeError[]): ServicePlan {
  const at = (...p: (string | number)[]) => joinPath(["services", key, ...p]);
  const fail = (p: (string | number)[], why: string) => errors.push(new ComposeError(at(...p), why));
  const own = s["x-incus"] ?? {};
  const ignore = [...file.ignore, ...(own.ignore ?? [])];

  for (const k of Object.keys(s)) {
    if (k.startsWith("x-") || SUPPORTED_SERVICE_KEYS.includes(k) || ignored(ignore, at(k), k)) continue;
    fail([k], "cannot be mapped to Incus (list it in `x-incus.ignore` to leave it out)");
  }
  for (const k of Object.keys(s.deploy ?? {}))
    if (!SUPPORTED_DEPLOY_KEYS.includes(k) && !ignored(ignore, at("deploy", k), `deploy.${k}`)) fail(["deploy", k], "cannot be mapped to Incus");
  if (s.network_mode !== undefined && s.network_mode !== "none" && !ignored(ignore, at("network_mode"), "network_mode"))
    fail(["network_mode"], `"${s.network_mode}" cannot be mapped to Incus (only "none": no network)`);

  const replicas = Number(s.deploy?.replicas ?? s.scale ?? 1);
  if (s.deploy?.replicas !== undefined && s.scale !== undefined && Number(s.deploy.replicas) !== Number(s.scale))
    fail(["scale"], "differs from deploy.replicas; give one of them");
  if (s.container_name !== undefined && replicas !== 1) fail(["container_name"], `cannot name ${replicas} replicas`);
  const base = incusName(key, 60);
  const names = s.container_name !== undefined ? [incusName(String(s.container_name))] : Array.from({ length: replicas }, (_, i) => `${base}-${i + 1}`);

  // Image: the service's own x-incus.image, else the file's x-incus.images entry for it, else a registry image.
  let image: ServicePlan["image"] = { registry: String(s.image ?? "") };
  const mapped = own.image ?? (s.image !== undefined ? file.images[String(s.image)] : undefined);
  if (mapped !== undefined) image = typeof mapped === "string" ? { alias: mapped } : (mapped as ImageRef);
  else if (s.image === undefined) fail(["image"], "required (Incus has no `build`: give an image, or `x-incus.image`)");

  const config: Record<string, string> = {};
  const env: Record<string, string> = {
    ...Object.assign({}, ...[s.env_file ?? []].flat().map((f: any) => readEnvFile(f, file.dir, at("env_file"), errors))),
    ...envList(s.environment, file.vars),
  };
  for (const [k, v] of Object.entries(env)) config[`environment.${k}`] = v;
  const limits = s.deploy?.resources?.limits ?? {};
  for (const k of Object.keys(s.deploy?.resources ?? {})) if (k !== "limits") fail(["deploy", "resources", k], "cannot be mapped to Incus (only `limits`)");
  for (const k of Object.keys(limits)) if (!["cpus", "memory", "pids"].includes(k)) fail(["deploy", "resources", "limits", k], "cannot be mapped to Incus");
  const cpus = limits.cpus ?? s.cpus;
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!(n > 0)) fail(["deploy", "resources", "limits", "cpus"], "must be a positive number");
    else if (Number.isInteger(n)) config["limits.cpu"] = String(n);
    else config["limits.cpu.allowance"] = `${Math.round(n * 100)}%`;
  }
  const memory = limits.memory ?? s.mem_limit;
  if (memory !== undefined) {
    const m = bytes(memory);
    if (m) config["limits.memory"] = m;
    else fail(["deploy", "resources", "limits", "memory"], `"${memory}" is not a size such as 512m or 1g`);
  }
  if (limits.pids !== undefined) config["limits.processes"] = String(limits.pids);
  if (s.restart !== undefined) config["boot.autostart"] = String(s.restart !== "no");
  if (s.privileged !== undefined) config["security.privileged"] = String(!!s.privileged);
  for (const [k, v] of Object.entries(envList(s.labels, {}))) config[`user.label.${k}`] = v;
  for (const [k, v] of Object.entries(own.config ?? {})) config[k] = String(v);

  const devices: ServicePlan["devices"] = {};
  mapPorts(s.ports ?? [], replicas, devices, (p, why) => fail(["ports", ...p], why));
  mapVolumes(s.volumes ?? [], file, devices, (p, why) => fail(["volumes", ...p], why));
  if (s.network_mode !== "none") {
    const nets = Array.isArray(s.networks) ? Object.fromEntries(s.networks.map((n: string) => [n, null])) : (s.networks ?? {});
    for (const [i, [net, opts]] of Object.entries<any>(nets).entries()) {
      if (!(net in file.networks)) {
        fail(["networks", net], "no such network in the top-level `networks`");
        continue;
      }
      const nic: Record<string, string> = { type: "nic", network: file.networks[net], name: `eth${i}` };
      for (const k of Object.keys(opts ?? {})) {
        if (k === "ipv4_address") nic["ipv4.address"] = String(opts[k]);
        else if (k === "ipv6_address") nic["ipv6.address"] = String(opts[k]);
        else if (k === "mac_address") nic.hwaddr = String(opts[k]);
        else if (!ignored(ignore, at("networks", net, k), k)) fail(["networks", net, k], "cannot be mapped to Incus");
      }
      devices[`eth${i}`] = nic;
    }
  }
  for (const [k, v] of Object.entries<Record<string, unknown>>(own.devices ?? {}))
    devices[k] = Object.fromEntries(Object.entries(v ?? {}).map(([dk, dv]) => [dk, String(dv)])) as Record<string, string>;

  const files: ServicePlan["files"] = {};
  mapFileRefs("secrets", s.secrets ?? [], file.secrets, "/run/secrets/", "0400", files, fail);
  mapFileRefs("configs", s.configs ?? [], file.configs, "/", "0444", files, fail);

  const commands: ServicePlan["commands"] = {};
  const user = s.user === undefined ? undefined : /^(\d+)(?::(\d+))?$/.exec(String(s.user));
  if (s.user !== undefined && !user) fail(["user"], "must be a numeric uid or uid:gid (Incus runs commands by id)");
  const run = [argv(s.entrypoint), argv(s.command)].filter(Boolean).join(" ");
  if (run) {
    // A system container has its own init: the service's command is started in the background (a new session,
    // its output in /var/log/compose-<service>.log), replacing the one an earlier run started.
    const log = `/var/log/compose-${base}.log`;
    const pid = `/run/compose-${base}.pid`;
    const script = `mkdir -p /var/log; [ -f ${pid} ] && kill $(cat ${pid}) 2>/dev/null; setsid sh -c ${shellQuote(run)} </dev/null >>${log} 2>&1 & echo $! > ${pid}`;
    commands["1-start"] = {
      command: script,
      when: "update",
      cwd: s.working_dir,
      user: user ? Number(user[1]) : undefined,
      group: user?.[2] ? Number(user[2]) : undefined,
    };
  }
  const hc = s.healthcheck;
  const waitFor: ServicePlan["waitFor"] = {};
  if (own.healthcheck !== undefined && own.healthcheck !== "ready") fail(["x-incus", "healthcheck"], 'must be "ready" (wait for the guest API\'s Ready)');
  if (own.healthcheck === "ready") waitFor.ready = {};
  else if (hc && !hc.disable && !(Array.isArray(hc.test) && hc.test[0] === "NONE")) {
    const test = Array.isArray(hc.test) ? (hc.test[0] === "CMD" ? argv(hc.test.slice(1)) : hc.test.slice(1).join(" ")) : hc.test;
    if (!test) fail(["healthcheck", "test"], "required");
    else {
      const retries = Number(hc.retries ?? 3);
      const interval = seconds(hc.interval, 5);
      const start = seconds(hc.start_period, 0);
      // Healthy once the test passes; up to `retries` failures after the start period, `interval` apart.
      const script = `n=0; while ! ( ${test} ) >/dev/null 2>&1; do n=$((n+1)); [ "$n" -gt ${retries} ] && { echo "unhealthy after ${retries} retries: ${test.replace(/"/g, "'")}" >&2; exit 1; }; sleep ${interval}; done`;
      commands["2-healthcheck"] = {
        command: start > 1 ? `sleep ${start}; ${script}` : script,
        when: "update",
        timeout: start + (retries + 1) * (interval + seconds(hc.timeout, 30)),
      };
    }
  }

  const deps = Array.isArray(s.depends_on)
    ? s.depends_on.map((d: string) => ({ service: d, condition: "service_started" }))
    : Object.entries<any>(s.depends_on ?? {}).map(([d, o]) => ({ service: d, condition: o?.condition ?? "service_started" }));
  return { key, names, image, config, devices, files, commands, dependsOn: deps, waitFor, profiles: own.profiles, run: run || undefined };
}

function readEnvFile(f: any, dir: string, where: string, errors: ComposeError[]): Record<string, string> {
  const p = path.resolve(dir, typeof f === "string" ? f : f.path);
  if (!fs.existsSync(p)) {
    if (typeof f === "object" && f.required === false) return {};
    errors.push(new ComposeError(where, `no such file: ${p}`));
    return {};
  }
  return parseDotEnv(fs.readFileSync(p, "utf8"));
}
