// The address and port fields that network forwards and load balancers share, in the forms Incus stores: a listen
// address keyed as Incus keys it, port lists without spaces, and port entries without the empty fields Incus answers
// with, so that the program's list and the live one compare equal when they say the same.
import { isIP } from "node:net";
import { z } from "zod";

/** An IPv4 or IPv6 address, as written. */
export const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: "must be an IPv4 or IPv6 address" });

/** An IP address in the form Incus keys the object by (IPv6 compressed, lower case). */
export const listenAddress = ipAddress.transform((s) => (isIP(s) === 6 ? new URL(`http://[${s}]/`).hostname.slice(1, -1) : s));

/** Port lists as Incus stores them: no spaces around commas; numbers are accepted. */
export const portList = z.union([z.string(), z.number().int().min(0).max(65535)]).transform((v) =>
  String(v)
    .trim()
    .replace(/\s*,\s*/g, ","),
);

type Entry = Record<string, unknown>;

/** Incus answers empty port fields as ""; the program leaves them out. Both sides drop them. */
export function canonicalPort<T extends Entry>(port: T): T {
  return Object.fromEntries(Object.entries(port).filter(([, v]) => v !== undefined && v !== null && v !== "")) as T;
}

/** A live list of ports (or backends) in the program's form: a field's `fromLive`. */
export const canonicalPorts = (v: unknown) => (Array.isArray(v) ? v.map((p) => canonicalPort(p as Entry)) : []);
