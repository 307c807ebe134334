// Secret inputs. A dynamic provider receives every input already unwrapped, so only the program side knows which
// values are secret: the SDK sends their paths in `__secretPaths`, and everything the provider prints or returns
// that is not an input (messages, drift lines, derived outputs, command output) goes through `redactor`.

/** The input the SDK adds: paths (`["config", "user.token"]`) of the values the program marked secret. */
export const SECRETS_KEY = "__secretPaths";

export type SecretPath = (string | number)[];
export type Redact = (text: string) => string;

export function secretPaths(state: Record<string, unknown> | undefined): SecretPath[] {
  const paths = state?.[SECRETS_KEY];
  return Array.isArray(paths) ? paths.filter((p): p is SecretPath => Array.isArray(p)) : [];
}

/** Whether the value at `path` is secret: it, or an object or list that holds it, was marked secret. */
export function isSecretPath(paths: SecretPath[], path: SecretPath): boolean {
  return paths.some((p) => p.length <= path.length && p.every((seg, i) => String(seg) === String(path[i])));
}

/** Every scalar under the secret paths of these states, as text. */
function secretValues(states: (Record<string, unknown> | undefined)[]): string[] {
  const out = new Set<string>();
  const collect = (v: unknown): void => {
    if (v === null || v === undefined) return;
    if (typeof v === "object") for (const x of Object.values(v as object)) collect(x);
    else out.add(String(v));
  };
  for (const state of states) {
    for (const path of secretPaths(state)) {
      let v: unknown = state;
      for (const seg of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[String(seg)] : undefined;
      collect(v);
    }
  }
  // Values of one or two characters cannot be told apart from ordinary text; longer ones are hidden everywhere.
  return [...out].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

export const SECRET_MARK = "[secret]";

/** A function that hides the secret values of these states (old and new inputs, stored state) in any text. */
export function redactor(...states: (Record<string, unknown> | undefined)[]): Redact {
  const values = secretValues(states);
  if (!values.length) return (text) => text;
  return (text) => values.reduce((t, v) => t.split(v).join(SECRET_MARK), text);
}

/** A value with every string passed through `redact` (for outputs derived from live objects). */
export function redactDeep(value: unknown, redact: Redact): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)]));
  return value;
}

/**
 * Whether a config or device key's value looks like a credential, by its last dotted segment: `password`, `secret`,
 * `token` or `key`, alone or as the end of a word (`client_key`, `api-token`, `secret-key`). A list of keys
 * (`ssh_authorized_keys`, `cloud-init.ssh-keys.<name>`), a public key, or a word that only contains one
 * (`key_name`, `join_token_expiry`, `monkey`) is not.
 */
export function credentialLooking(key: string): boolean {
  const last = key.toLowerCase().split(".").pop() ?? "";
  if (last.includes("public")) return false;
  return /(^|[_-])(password|passphrase|secret|token|key)$/.test(last);
}

/** Paths of the credential-looking keys of the maps in these inputs (`config`, each device's options). */
export function credentialPaths(inputs: Record<string, unknown>): SecretPath[] {
  const out: SecretPath[] = [];
  const strings = (map: unknown, at: SecretPath) => {
    if (!map || typeof map !== "object" || Array.isArray(map)) return;
    for (const [k, v] of Object.entries(map)) if (typeof v === "string" && credentialLooking(k)) out.push([...at, k]);
  };
  strings(inputs.config, ["config"]);
  for (const [name, options] of Object.entries((inputs.devices as Record<string, unknown> | undefined) ?? {})) strings(options, ["devices", name]);
  return out;
}
