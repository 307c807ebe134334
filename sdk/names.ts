// Default Incus names for resources, from their Pulumi logical names (SDK side: the program picks the name).

/** A logical Pulumi name turned into a name Incus accepts (used when `name` is not given). */
export function sanitizeName(logical: string, max = 63): string {
  let s = logical
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-");
  s = s.replace(/^[^a-z]+/, "").replace(/-+$/, "");
  if (!s) s = "x";
  return s.slice(0, max).replace(/-+$/, "");
}
