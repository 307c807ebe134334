// Input building blocks shared by every kind: Incus names, string-valued config maps, connection settings, and
// the handling of values that are still unknown during a preview.
import { z } from "zod";

/**
 * Input the SDK adds to every resource: the Pulumi stack that declares it (`org/project/stack`). The provider writes
 * it into the object it creates (OWNER_MARKER), so a later run of the same stack can tell its own object, made by a
 * run that was killed before it could record it, from one it did not make.
 */
export const OWNER_KEY = "__owner";
/** Where the owner goes on the object: a user key of its config map (an image's properties). */
export const OWNER_MARKER = "user.pulumi-incus.stack";
/** What the Pulumi engine sends for a value that is not known yet (preview of a value computed by another resource). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(v: unknown): boolean {
  return v === UNKNOWN;
}

/** Paths (dotted, as zod reports them) of every unknown value inside an input object. */
export function unknownPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (isUnknown(value)) return [prefix];
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownPaths(v, [...prefix, i]));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => unknownPaths(v, [...prefix, k]));
  }
  return [];
}

export function containsUnknown(value: unknown): boolean {
  return unknownPaths(value).length > 0;
}

/** How a preview line names a value the program wants that the engine does not know yet. */
export const KNOWN_AFTER_APPLY = "a value known after apply";

/** A value as preview lines show it: JSON, "unset" for none, and never the unknown sentinel itself. */
export function shown(value: unknown): string {
  if (value === undefined) return "unset";
  if (isUnknown(value)) return KNOWN_AFTER_APPLY;
  return JSON.stringify(value).split(JSON.stringify(UNKNOWN)).join(`(${KNOWN_AFTER_APPLY})`);
}

/** Incus stores every config value as a string; numbers and booleans are accepted and turned into strings. */
export const configValue = z
  .union([z.string(), z.number(), z.boolean()], { error: "must be a string, number or boolean (Incus stores config values as strings)" })
  .transform((v) => String(v));

/** `""` and `null` mean "not set" (Incus drops a key set to ""): such entries are left out of the map. */
function withoutUnset<T>(map: Record<string, T | null>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).filter(([, v]) => v !== null && v !== "")) as Record<string, T>;
}

export const configMap = z.record(z.string().min(1, "config keys must not be empty"), configValue.nullable()).transform(withoutUnset);

/** A device: `type` plus string options (an option set to `null` or `""` is left out). */
export const device = z
  .record(z.string(), configValue.nullable())
  .transform(withoutUnset)
  .refine((d) => typeof d.type === "string" && d.type !== "", {
    message: "every device needs a `type` (nic, disk, proxy, …)",
  });
/** Devices by name; a device set to `null` is not declared. */
export const deviceMap = z.record(z.string().min(1, "device names must not be empty"), device.nullable()).transform(withoutUnset);

/**
 * Top-level inputs set to `null` or `""` are "not set", exactly like a missing field: a conditional value in a
 * program (`description: cond ? "x" : null`) must not be an error, and `""` must not diff forever.
 */
export function dropUnset(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== null && v !== ""));
}

/** Object names most kinds accept: no slashes, no leading dot or space, at most 63 characters here for safety. */
export const objectName = z
  .string()
  .min(1, "must not be empty")
  .max(63, "at most 63 characters")
  .refine((s) => !/[\/\\\s]/.test(s) && !s.startsWith("."), { message: "must not contain slashes or spaces, or start with a dot" });

/** Instance names are DNS labels (Incus rule): letters, digits and hyphens, not starting with a digit or hyphen. */
export const hostName = z
  .string()
  .min(1, "must not be empty")
  .max(63, "at most 63 characters (a DNS label)")
  .regex(/^[a-zA-Z][a-zA-Z0-9-]*$/, "must be a DNS label: letters, digits and '-', starting with a letter")
  .refine((s) => !s.endsWith("-"), { message: "must not end with '-'" });

/** Network interface names are limited to 15 characters by the kernel. */
export const interfaceName = hostName.refine((s) => s.length <= 15, { message: "at most 15 characters (a network interface name)" });

/** Settings every resource may carry to override the provider-wide ones from stack config (incus:*). */
export const connectionFields = {
  /** Remote from the incus CLI config ("local" or a configured HTTPS remote). */
  remote: z.string().min(1).optional(),
  /** Explicit unix socket path. */
  socket: z.string().min(1).optional(),
  /** The incus CLI config directory (remotes, client certificate). */
  configDir: z.string().min(1).optional(),
};

/** zod issue path → the field name a user sees: `config["limits.cpu"]`, `devices.root.pool`, `profiles[1]`. */
export function fieldName(path: PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || "(inputs)";
}

/** A map key that breaks its rule: zod says only "Invalid key in record"; the key schema's own message says why. */
export function issueMessage(issue: z.core.$ZodIssue): string {
  return issue.code === "invalid_key" && issue.issues[0] ? issue.issues[0].message : issue.message;
}

/** The fields of an object schema, also when it is wrapped in a transform (a pipe). */
export function schemaShape(schema: z.ZodType): Record<string, z.ZodType> {
  const s = schema as unknown as { shape?: Record<string, z.ZodType>; in?: z.ZodType };
  if (s.shape) return s.shape;
  return s.in ? schemaShape(s.in) : {};
}
