// Writes provider/engine/generated/configKeys.ts: which API extension brings each config key of the kinds that take
// one (instance and profile keys, project and server keys), so a program that sets a key the server
// lacks (an Incus-only key on LXD, a newer key on an older Incus) is refused at preview. Derived, not hand-written:
//   - the keys per entity: Incus's own list, GET /1.0/metadata/configuration of the daemon the doc below came with;
//   - the extension of a key: the first section of Incus's API extensions doc (api-extensions.md, shipped by
//     incus-base) that introduces it: a bullet under a section that says the keys are new, or a sentence that says a
//     key is new, added or introduced; `NAME`, `XYZ`, `<name>` and `*` segments are placeholders;
//   - only extensions that daemon lists itself; volatile.* (the server's own) and user.* (free-form) keys are left out.
// A few keys the doc never names get their extension from DOC_OMITS below. tests/lxd/differences.test.ts checks the
// result against a real LXD 5.0.2 (every key it refuses, and only those) and that this file is up to date.
//   npx tsx scripts/generate-config-keys.ts          writes the file (needs the incus CLI and its daemon)
//   npx tsx scripts/generate-config-keys.ts --check  exits 1 when it is stale
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const CONFIG_KEYS_FILE = path.join(__dirname, "..", "provider", "engine", "generated", "configKeys.ts");
const DOC = process.env.PULUMI_INCUS_API_EXTENSIONS_DOC ?? "/usr/share/doc/incus-base/api-extensions.md.gz";
/**
 * The metadata's entities the kinds' config maps use (provider/kinds: `configKeys`). Not network zones: the doc names
 * their keys only where networks got a key of the same name (`dns.nameservers`), which zones had long before.
 */
const ENTITIES = ["instance", "project", "server"] as const;
/** Keys the doc never names, and the extension that brought them (the feature they switch on). */
const DOC_OMITS: Record<string, string> = {
  "features.storage.buckets": "storage_buckets",
  "restricted.networks.integrations": "network_integrations",
};

type Metadata = { configs: Record<string, Record<string, { keys: Record<string, unknown>[] }>> };

/** A key or doc token as a pattern: placeholder segments become `*`. */
export function pattern(token: string): string {
  return token
    .split(".")
    .map((seg) => (/^(<[^>]+>|\*|[A-Z][A-Z0-9_]*)$/.test(seg) ? "*" : seg))
    .join(".");
}

/** Each section of the doc in order: its extension and the keys it introduces (as patterns). */
export function introducedKeys(doc: string): { extension: string; keys: Set<string> }[] {
  const parts = doc.split(/^## `([^`]+)`[ \t]*$/m);
  const out: { extension: string; keys: Set<string> }[] = [];
  const isNew = /\b(new|introduc\w*|add|adds|added)\b/i;
  const tokens = (text: string) => [...text.matchAll(/`([^`\s]+)`/g)].map((m) => pattern(m[1])).filter((t) => t.includes("."));
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1];
    const keys = new Set<string>();
    const sectionIsNew = isNew.test(body);
    for (const line of body.split("\n")) {
      const bullet = /^\s*[*-]\s+(.*)$/.exec(line);
      // A bullet names one key (its first); the rest of the line describes it.
      const first = bullet && sectionIsNew ? tokens(bullet[1])[0] : undefined;
      if (first) keys.add(first);
    }
    const prose = body
      .split("\n")
      .filter((l) => !/^\s*[*-]\s+/.test(l))
      .join(" ");
    for (const sentence of prose.split(/(?<=\.)\s+/)) if (isNew.test(sentence)) for (const k of tokens(sentence)) keys.add(k);
    out.push({ extension: parts[i], keys });
  }
  return out;
}

/** entity → [key pattern, extension], sorted. */
export function configKeys(doc: string, metadata: Metadata, extensions: string[]): Record<string, [string, string][]> {
  const sections = introducedKeys(doc).filter((s) => extensions.includes(s.extension));
  const result: Record<string, [string, string][]> = {};
  for (const entity of ENTITIES) {
    const keys = Object.values(metadata.configs[entity] ?? {}).flatMap((g) => g.keys.flatMap((k) => Object.keys(k)));
    const rows = new Map<string, string>();
    for (const key of keys.map(pattern)) {
      if (key.startsWith("volatile.") || key.startsWith("user.")) continue;
      const ext = DOC_OMITS[key] ?? sections.find((s) => s.keys.has(key))?.extension;
      if (ext) rows.set(key, ext);
    }
    result[entity] = [...rows].sort(([a], [b]) => a.localeCompare(b));
  }
  return result;
}

const incusJson = <T>(p: string): T => JSON.parse(execFileSync("incus", ["query", p], { encoding: "utf8" })) as T;

export function render(): string {
  const doc = zlib.gunzipSync(fs.readFileSync(DOC)).toString("utf8");
  const server = incusJson<{ api_extensions: string[]; environment: { server_version: string } }>("/1.0");
  const table = configKeys(doc, incusJson<Metadata>("/1.0/metadata/configuration"), server.api_extensions);
  const body = Object.entries(table)
    .map(([entity, rows]) => `  ${entity}: [\n${rows.map(([k, e]) => `    [${JSON.stringify(k)}, ${JSON.stringify(e)}],\n`).join("")}  ],\n`)
    .join("");
  return `// Generated by scripts/generate-config-keys.ts from Incus ${server.environment.server_version}'s config key list and API extensions doc; do not edit.
// Which API extension brings each config key (\`*\`: any segment), per entity of the config metadata.
export const CONFIG_KEY_EXTENSIONS: Record<string, [key: string, extension: string][]> = {
${body}};
`;
}

if (require.main === module) {
  const text = render();
  if (process.argv.includes("--check")) {
    const stale = !fs.existsSync(CONFIG_KEYS_FILE) || fs.readFileSync(CONFIG_KEYS_FILE, "utf8") !== text;
    if (stale) console.error(`${path.relative(process.cwd(), CONFIG_KEYS_FILE)} is stale: run npx tsx scripts/generate-config-keys.ts`);
    process.exit(stale ? 1 : 0);
  }
  fs.mkdirSync(path.dirname(CONFIG_KEYS_FILE), { recursive: true });
  fs.writeFileSync(CONFIG_KEYS_FILE, text);
  console.log(`wrote ${path.relative(process.cwd(), CONFIG_KEYS_FILE)}`);
}
