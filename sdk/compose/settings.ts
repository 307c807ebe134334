// The `x-incus` extension of a compose file (top level, per service, per network, per volume): what Incus needs that
// compose cannot say. Checked like the rest of the file: an unknown or ill-typed setting names its path.
import { ComposeError, joinPath } from "./errors";

export type ImageRef = { alias?: string; fingerprint?: string; server?: string; protocol?: "simplestreams" | "incus" };

type Shape = Record<string, "string" | "boolean" | "map" | "list" | "image" | "images" | "object">;

const TOP: Shape = { project: "object", profile: "object", pool: "string", images: "images", ignore: "list" };
const PROJECT: Shape = { name: "string", description: "string", config: "map", sharedImages: "boolean", imagesFrom: "string" };
const PROFILE: Shape = { source: "string", project: "string", nics: "boolean", enabled: "boolean" };
const SERVICE: Shape = { image: "image", config: "map", devices: "object", ignore: "list", healthcheck: "string", profiles: "list" };
const NETWORK: Shape = { name: "string", type: "string", config: "map", description: "string" };
const VOLUME: Shape = { name: "string", pool: "string", config: "map", description: "string" };

function checkImage(v: unknown, path: (string | number)[], errors: ComposeError[]): void {
  if (typeof v === "string" && v) return;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!["alias", "fingerprint", "server", "protocol"].includes(k)) errors.push(new ComposeError(joinPath([...path, k]), "unknown key"));
      else if (typeof o[k] !== "string") errors.push(new ComposeError(joinPath([...path, k]), "must be a string"));
    }
    if ((o.alias === undefined) === (o.fingerprint === undefined))
      errors.push(new ComposeError(joinPath(path), "give exactly one of `alias` and `fingerprint`"));
    if (o.protocol !== undefined && !["simplestreams", "incus"].includes(String(o.protocol)))
      errors.push(new ComposeError(joinPath([...path, "protocol"]), 'must be "simplestreams" or "incus"'));
    return;
  }
  errors.push(new ComposeError(joinPath(path), "must be an image alias, or { alias | fingerprint, server?, protocol? }"));
}

function check(v: unknown, shape: Shape, path: (string | number)[], errors: ComposeError[]): void {
  if (v === undefined) return;
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    errors.push(new ComposeError(joinPath(path), "must be a mapping"));
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    const at = [...path, k];
    const kind = shape[k];
    const isMap = (y: unknown) => !!y && typeof y === "object" && !Array.isArray(y);
    if (!kind) errors.push(new ComposeError(joinPath(at), `unknown key (x-incus settings here: ${Object.keys(shape).join(", ")})`));
    else if (kind === "string" && typeof x !== "string") errors.push(new ComposeError(joinPath(at), "must be a string"));
    else if (kind === "boolean" && typeof x !== "boolean") errors.push(new ComposeError(joinPath(at), "must be true or false"));
    else if (kind === "list" && !(Array.isArray(x) && x.every((s) => typeof s === "string")))
      errors.push(new ComposeError(joinPath(at), "must be a list of strings"));
    else if (kind === "object" && !isMap(x)) errors.push(new ComposeError(joinPath(at), "must be a mapping"));
    else if (kind === "map") {
      if (!isMap(x)) errors.push(new ComposeError(joinPath(at), "must be a mapping of config keys to values"));
      else
        for (const [ck, cv] of Object.entries(x as object))
          if (!["string", "number", "boolean"].includes(typeof cv))
            errors.push(new ComposeError(`${joinPath(at)}["${ck}"]`, "must be a string, number or boolean"));
    } else if (kind === "image") checkImage(x, at, errors);
    else if (kind === "images") {
      if (!isMap(x)) errors.push(new ComposeError(joinPath(at), "must map compose image names to Incus images"));
      else for (const [ik, iv] of Object.entries(x as object)) checkImage(iv, [...at, ik], errors);
    }
  }
}

/** Checks every `x-incus` block of the file; returns the errors. */
export function checkSettings(doc: Record<string, any>, errors: ComposeError[]): void {
  const top = doc["x-incus"];
  check(top, TOP, ["x-incus"], errors);
  if (top && typeof top === "object") {
    check(top.project, PROJECT, ["x-incus", "project"], errors);
    check(top.profile, PROFILE, ["x-incus", "profile"], errors);
  }
  for (const [name, s] of Object.entries<any>(doc.services ?? {})) check(s?.["x-incus"], SERVICE, ["services", name, "x-incus"], errors);
  for (const [name, n] of Object.entries<any>(doc.networks ?? {})) check(n?.["x-incus"], NETWORK, ["networks", name, "x-incus"], errors);
  for (const [name, v] of Object.entries<any>(doc.volumes ?? {})) check(v?.["x-incus"], VOLUME, ["volumes", name, "x-incus"], errors);
}

/** Whether an `x-incus.ignore` entry covers a key's path: `build` (any service's), `services.web.build`, `services.*.pid`. */
export function ignored(patterns: string[], path: string, key: string): boolean {
  return patterns.some((p) => p === key || p === path || new RegExp(`^${p.replace(/[.[\]]/g, "\\$&").replace(/\*/g, "[^.]+")}$`).test(path));
}
