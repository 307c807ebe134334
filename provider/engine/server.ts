// Which server a connection reaches (Incus or LXD, its version and API extensions), read with one GET /1.0 per
// client, and what kinds and fields require of it. A program that uses what the server lacks fails at check (so at
// preview, before anything is sent), naming the kind or field, the server and the missing API extension.
import type { IncusClient } from "../client";
import type { State } from "./fields";
import { CONFIG_KEY_EXTENSIONS } from "./generated/configKeys";

export interface ServerInfo {
  /** `incus` or `lxd` (GET /1.0's environment.server). */
  server: string;
  version: string;
  extensions: ReadonlySet<string>;
  /** Whether it is a member of a cluster (environment.server_clustered). */
  clustered?: boolean;
}

/**
 * What a kind or field needs: an API extension, and for a field when the inputs use it (default: the field is set).
 * Declared in the kind's file as a one-liner: `requires: ["storage_buckets"]`, `fieldRequires: { "waitFor.ready":
 * "instance_ready_state" }`.
 */
export type Requirement = string | { extension: string; when(inputs: State): boolean };

/** What each extension brings, in words ("LXD 5.0.2 has no storage buckets"); others are named by the extension. */
const WHAT: Record<string, string> = {
  storage_buckets: "storage buckets",
  instance_ready_state: "guest Ready state (waits for `ready`)",
  instance_create_start: "start in the create request",
  projects_networks_zones: "network zones in projects",
  certificate_description: "certificate descriptions",
  network_acl_stateless: "stateless ACL rules (`allow-stateless`)",
  network_load_balancer: "network load balancers",
  network_integrations: "network integrations",
};

// One read per client (each client is one connection: engine/connection.ts); a failed read is tried again next time.
const known = new WeakMap<IncusClient, Promise<ServerInfo>>();

export function serverOf(client: IncusClient): Promise<ServerInfo> {
  let info = known.get(client);
  if (!info) {
    info = client
      .get<{ api_extensions?: string[]; environment?: { server?: string; server_version?: string; server_clustered?: boolean } }>("/1.0", { project: null })
      .then(({ value }) => ({
        server: value.environment?.server ?? "incus",
        version: value.environment?.server_version ?? "",
        extensions: new Set(value.api_extensions ?? []),
        clustered: value.environment?.server_clustered === true,
      }));
    info.catch(() => known.delete(client));
    known.set(client, info);
  }
  return info;
}

/** "LXD 5.0.2", "Incus 6.0.4". */
export function serverName(s: ServerInfo): string {
  const name = s.server === "lxd" ? "LXD" : s.server === "incus" ? "Incus" : s.server;
  return s.version ? `${name} ${s.version}` : name;
}

/** Why the server cannot do what needs `extension` ("LXD 5.0.2 has no storage buckets (API extension …)"), or undefined. */
export function lacks(s: ServerInfo, extension: string): string | undefined {
  if (s.extensions.has(extension)) return undefined;
  return `${serverName(s)} has no ${WHAT[extension] ?? extension} (API extension ${extension})`;
}

const valueAt = (inputs: State, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as State)[k] : undefined), inputs);

/** The requirements that apply to these inputs: the kind's (property ""), then those of the fields they use. */
export function applicable(requires: string[] | undefined, fieldRequires: Record<string, Requirement> | undefined, inputs: State): [string, string][] {
  const out: [string, string][] = (requires ?? []).map((ext) => ["", ext]);
  for (const [field, req] of Object.entries(fieldRequires ?? {})) {
    const { extension, when } = typeof req === "string" ? { extension: req, when: (i: State) => valueAt(i, field) !== undefined } : req;
    if (when(inputs)) out.push([field, extension]);
  }
  return out;
}

/** The first requirement of the kind (property ""), then of its fields, that the server does not meet, and why. */
export function unmet(
  s: ServerInfo,
  requires: string[] | undefined,
  fieldRequires: Record<string, Requirement> | undefined,
  inputs: State,
): { property: string; reason: string } | undefined {
  for (const [property, extension] of applicable(requires, fieldRequires, inputs)) {
    const why = lacks(s, extension);
    if (why) return { property, reason: property ? `${property}: ${why}` : why };
  }
  return undefined;
}

/** Which config keys a kind's map field takes: the entity of Incus's config metadata (generated/configKeys.ts). */
export type ConfigEntity = "instance" | "project" | "server";

/** What to set instead of a key the server lacks, where it has one. */
const INSTEAD: Record<string, string> = {
  "limits.disk.pool.*": "`limits.disk` (one limit for all pools)",
};

type KeyRule = { key: string; extension: string; test(k: string): boolean };
let rules: Record<string, KeyRule[]> | undefined;
function keyRules(entity: ConfigEntity): KeyRule[] {
  rules ??= Object.fromEntries(
    Object.entries(CONFIG_KEY_EXTENSIONS).map(([ent, rows]) => [
      ent,
      rows.map(([key, extension]) => {
        const re = new RegExp(
          `^${key
            .split(".")
            .map((s) => (s === "*" ? "[^.]+" : s.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")))
            .join("\\.")}$`,
        );
        return { key, extension, test: (k: string) => re.test(k) };
      }),
    ]),
  );
  return rules[entity] ?? [];
}

/** The config keys the inputs set that some API extension brings: `[field, key, rule]` (no request; so a check knows whether to ask the server). */
export function extensionKeysIn(configKeys: Record<string, ConfigEntity> | undefined, inputs: State): [string, string, KeyRule][] {
  const out: [string, string, KeyRule][] = [];
  for (const [field, entity] of Object.entries(configKeys ?? {})) {
    const map = inputs[field];
    if (!map || typeof map !== "object") continue;
    for (const [key, value] of Object.entries(map as State)) {
      if (value === null || value === "") continue; // not set: nothing is sent
      const rule = keyRules(entity).find((r) => r.test(key));
      if (rule) out.push([field, key, rule]);
    }
  }
  return out;
}

/** The first config key the inputs set that the server lacks (an Incus-only key on LXD), naming field, key, server and extension. */
export function unknownConfigKey(
  s: ServerInfo,
  configKeys: Record<string, ConfigEntity> | undefined,
  inputs: State,
): { property: string; reason: string } | undefined {
  for (const [field, key, rule] of extensionKeysIn(configKeys, inputs)) {
    if (s.extensions.has(rule.extension)) continue;
    const property = `${field}["${key}"]`;
    const instead = INSTEAD[rule.key] ? `; use ${INSTEAD[rule.key]} instead` : "";
    const entity = configKeys?.[field];
    return {
      property,
      reason: `${property}: ${serverName(s)} has no ${entity} config key \`${key}\` (API extension ${rule.extension})${instead}`,
    };
  }
  return undefined;
}
