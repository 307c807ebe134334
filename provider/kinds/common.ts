// Input fields every kind has, and the server-computed key rules several kinds share.
import { z } from "zod";
import { connectionFields, objectName } from "../engine/inputs";

/** name, connection overrides and adopt: what global kinds (projects, storage pools) take. */
export function globalFields(name: z.ZodType<string> = objectName) {
  return { name, ...connectionFields, adopt: z.boolean().optional() };
}

/** The same plus the project the object lives in. */
export function scopedFields(name: z.ZodType<string> = objectName) {
  return { ...globalFields(name), project: z.string().min(1).optional() };
}

export const description = z.string().max(4096).optional();

/** `volatile.*` keys are runtime state the server keeps in config; they are never the program's business. */
export const volatileKey = (k: string) => k.startsWith("volatile.");

export const encode = encodeURIComponent;
