// Listing a collection: full objects by default, across projects on request, and filters whose values the server
// matches exactly (it treats string values as case-insensitive regexps otherwise).
import type { Query, RequestOptions } from "./request";

/** Field → value, all of which must match: `{ name: "c1", "config.user.role": "web" }`. */
export type FilterFields = Record<string, string | number | boolean>;

export interface ListOptions extends RequestOptions {
  /** An Incus filter expression (`name eq c1 and status eq running`), or fields that must equal the given values. */
  filter?: string | FilterFields;
  /** Every project (`?all-projects=true`); `project` is then ignored. */
  allProjects?: boolean;
  /** Default 1 (full objects); 2 adds instance state, snapshots and backups. */
  recursion?: number;
}

/** A string Go's regexp takes literally; the server matches string fields as case-insensitive regexps. */
function literalPattern(value: string): string {
  if (value.includes('"') && /\s/.test(value)) throw new Error(`filter value ${JSON.stringify(value)} cannot be expressed`);
  const escaped = value.replace(/[.*+?()[\]{}|\\^$]/g, "\\$&");
  // Our own anchors switch off the server's, and (?-i:) its case folding: exact equality.
  const pattern = `^(?-i:${escaped})$`;
  return /\s/.test(value) ? `"${pattern}"` : pattern;
}

/** Builds an Incus filter expression in which every field must equal its value exactly. */
export function filterExpression(fields: FilterFields): string {
  return Object.entries(fields)
    .map(([field, value]) => `${field} eq ${typeof value === "string" ? literalPattern(value) : String(value)}`)
    .join(" and ");
}

/** The GET options for a list: recursion, filter and all-projects as query parameters. */
export function listRequest(opts: ListOptions): RequestOptions {
  const { filter, allProjects, recursion, ...rest } = opts;
  const query: Query = {
    ...rest.query,
    recursion: recursion ?? 1,
    filter: filter === undefined || typeof filter === "string" ? filter : filterExpression(filter),
    "all-projects": allProjects ? true : undefined,
  };
  return { ...rest, query, project: allProjects ? null : rest.project };
}
