// Input fields every kind has, and the server-computed key rules several kinds share.
import { z } from "zod";
import { connectionFields, objectName } from "../engine/inputs";

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
    project: z.string().min(1).optional().describe("The Incus project the object lives in. Default: stack config `incus:project`, else the remote's project (usually `default`)."),
  };
}

export const description = z.string().max(4096).optional().describe("Free-text description of the object. Default: empty.");

/** `volatile.*` keys are runtime state the server keeps in config; they are never the program's business. */
export const volatileKey = (k: string) => k.startsWith("volatile.");

export const encode = encodeURIComponent;
