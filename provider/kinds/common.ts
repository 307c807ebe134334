// Input fields every kind has, and the server-computed key rules several kinds share.
import { z } from "zod";
import { connectionFields, objectName } from "../engine/inputs";
import { type ServerInfo, serverName } from "../engine/server";

/** name, connection overrides and adopt: what global kinds (projects, storage pools) take. */
export function globalFields(name: z.ZodType<string> = objectName) {
  return {
    name: name.describe("The object's name in Incus. Default: the Pulumi logical name, made valid for Incus."),
    remote: connectionFields.remote.describe(
      "The Incus to use: a remote of the incus CLI's config.yml (`local` or an HTTPS remote) or an address. Default: stack config `incus:remote`, else the CLI's default remote.",
    ),
    socket: connectionFields.socket.describe(
      "An explicit unix socket of the Incus daemon; wins over `remote`. Default: stack config `incus:socket`, else the socket the incus CLI would use. A change only says where to find the same object.",
    ),
    configDir: connectionFields.configDir.describe(
      "The incus CLI's config directory (config.yml, client certificate, pinned server certificates). Default: stack config `incus:configDir`, else the CLI's. A change only says where to find the same object.",
    ),
    adopt: z
      .boolean()
      .optional()
      .describe(
        "When an object of this name already exists, take it over (and change it only where the program differs) instead of failing. Default: `false`. A change is saved and sends nothing to Incus.",
      ),
  };
}

/** The same plus the project the object lives in. */
export function scopedFields(name: z.ZodType<string> = objectName) {
  return {
    ...globalFields(name),
    project: z
      .string()
      .min(1)
      .optional()
      .describe("The Incus project the object lives in. Default: stack config `incus:project`, else the remote's project (usually `default`)."),
  };
}

export const description = z.string().max(4096).optional().describe("Free-text description of the object. Default: empty.");

/** `volatile.*` keys are runtime state the server keeps in config; they are never the program's business. */
export const volatileKey = (k: string) => k.startsWith("volatile.");

export const encode = encodeURIComponent;

/** Incus's "no expiry": the zero time. A PUT of it clears an expiry (snapshots; not images). */
export const NO_EXPIRY = "0001-01-01T00:00:00Z";

/** One spelling per instant (UTC, no zero fraction), so the program's time and the server's compare equal. */
export function normaliseTime(v: unknown): string {
  if (typeof v !== "string" || v === "") return NO_EXPIRY;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().replace(/\.000Z$/, "Z");
}

/** A snapshot's expiry: an RFC 3339 time with a zone (`2030-01-01T00:00:00Z`), normalised to UTC, in the future. */
const RFC3339 = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
export const expiresAt = z
  .string()
  .refine(
    (s) => {
      const m = RFC3339.exec(s);
      if (!m || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return false;
      // A day the month does not have (31 February) must not roll over into the next month.
      const day = new Date(`${m[1]}T00:00:00Z`);
      return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(m[1]);
    },
    { message: "an RFC 3339 time with a zone, e.g. 2030-01-01T00:00:00Z" },
  )
  .transform(normaliseTime)
  // Incus deletes a snapshot once its expiry has passed: one declared with a past expiry would be taken again on every
  // `up` and deleted again soon after. Said at check, so the preview fails.
  .refine((t) => Date.parse(t) > Date.now(), {
    error: (issue) =>
      `${String(issue.input)} is in the past: Incus deletes a snapshot once it expires, so it would be taken again on every \`up\`; give a later time or leave \`expiresAt\` out`,
  });

/**
 * The guest API's config keys differ by server: Incus's `security.guestapi*` (socket /dev/incus/sock) are LXD's
 * `security.devlxd*` (/dev/lxd/sock), and each server refuses the other's. Said at check (instances and profiles).
 */
export function guestApiKey(server: ServerInfo, inputs: { config?: Record<string, string> }): { property: string; reason: string } | undefined {
  const [wrong, right] = server.server === "lxd" ? ["security.guestapi", "security.devlxd"] : ["security.devlxd", "security.guestapi"];
  const key = Object.keys(inputs.config ?? {}).find((k) => k === wrong || k.startsWith(`${wrong}.`));
  if (key === undefined) return undefined;
  const property = `config["${key}"]`;
  return { property, reason: `${property}: ${serverName(server)} names the guest API key \`${right}${key.slice(wrong.length)}\`` };
}
