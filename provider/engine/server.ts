// Which server a connection reaches (Incus or LXD, its version and API extensions), read with one GET /1.0 per
// client, and what kinds and fields require of it. A program that uses what the server lacks fails at check (so at
// preview, before anything is sent), naming the kind or field, the server and the missing API extension.
import type { IncusClient } from "../client";
import type { State } from "./fields";

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

/** The first requirement of the kind (property ""), then of its fields, that the server does not meet, and why. */
export function unmet(
  s: ServerInfo,
  requires: string[] | undefined,
  fieldRequires: Record<string, Requirement> | undefined,
  inputs: State,
): { property: string; reason: string } | undefined {
  for (const ext of requires ?? []) {
    const why = lacks(s, ext);
    if (why) return { property: "", reason: why };
  }
  for (const [field, req] of Object.entries(fieldRequires ?? {})) {
    const { extension, when } = typeof req === "string" ? { extension: req, when: (i: State) => valueAt(i, field) !== undefined } : req;
    const why = when(inputs) ? lacks(s, extension) : undefined;
    if (why) return { property: field, reason: `${field}: ${why}` };
  }
  return undefined;
}
