// The `incus` CLI's own configuration (config.yml, client.crt/key, servercerts/), read the way the CLI
// does, so the provider connects to whatever remotes a user has already added.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";

const RemoteSchema = z.looseObject({
  addr: z.string(),
  protocol: z.string().optional(),
  project: z.string().optional(),
  public: z.boolean().optional(),
  auth_type: z.string().optional(),
});
export type CliRemote = z.infer<typeof RemoteSchema> & {
  /** Came from the system-wide config (its server certificate lives there too). */
  global?: boolean;
};

const ConfigFileSchema = z.looseObject({
  "default-remote": z.string().optional(),
  remotes: z.record(z.string(), RemoteSchema).nullish(),
});

export interface CliConfig {
  /** The user's config dir (may not exist). */
  dir: string;
  /** The system-wide config dir (INCUS_GLOBAL_CONF, else /etc/incus). */
  globalDir: string;
  defaultRemote: string;
  remotes: Record<string, CliRemote>;
}

/** Remotes every CLI has, whatever config.yml says (only their project can be set there). */
const STATIC_REMOTES: Record<string, CliRemote> = {
  local: { addr: "unix://", protocol: "incus", public: false },
  images: { addr: "https://images.linuxcontainers.org", protocol: "simplestreams", public: true },
};

/** INCUS_CONF, else ~/.config/incus (the CLI's order); for LXD, LXD_CONF, else the snap's ~/snap/lxd/common/config, else ~/.config/lxc. */
export function cliConfigDir(env: NodeJS.ProcessEnv = process.env, server?: "incus" | "lxd"): string {
  const home = env.HOME && fs.existsSync(env.HOME) ? env.HOME : os.homedir();
  if (server === "lxd") {
    if (env.LXD_CONF) return env.LXD_CONF;
    const snap = path.join(home, "snap", "lxd", "common", "config");
    return fs.existsSync(snap) ? snap : path.join(home, ".config", "lxc");
  }
  if (env.INCUS_CONF) return env.INCUS_CONF;
  return path.join(home, ".config", "incus");
}

function readConfigFile(file: string): z.infer<typeof ConfigFileSchema> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  // Loaded here, not at start: only a stack that uses a remote of the CLI reads the file.
  const { parseDocument } = require("yaml") as typeof import("yaml");
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  const parsed = ConfigFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Loads config.yml from `dir` (default: cliConfigDir), merged like the CLI: the user's remotes, then system-wide
 * ones the user lacks, then the static `local` and `images`; INCUS_REMOTE overrides default-remote.
 */
export function loadCliConfig(dir?: string, env: NodeJS.ProcessEnv = process.env, server?: "incus" | "lxd"): CliConfig {
  const lxd = server === "lxd";
  const userDir = dir ?? cliConfigDir(env, server);
  const globalDir = (lxd ? env.LXD_GLOBAL_CONF : env.INCUS_GLOBAL_CONF) || (lxd ? "/etc/lxd" : "/etc/incus");
  const user = readConfigFile(path.join(userDir, "config.yml"));
  const global = readConfigFile(path.join(globalDir, "config.yml"));

  const remotes: Record<string, CliRemote> = { ...(user?.remotes ?? {}) };
  for (const [name, remote] of Object.entries(global?.remotes ?? {})) remotes[name] ??= { ...remote, global: true };
  for (const [name, remote] of Object.entries(STATIC_REMOTES)) {
    const project = remotes[name]?.project;
    remotes[name] = project ? { ...remote, project } : { ...remote };
  }
  const defaultRemote = (lxd ? undefined : env.INCUS_REMOTE) || user?.["default-remote"] || "local";
  return { dir: userDir, globalDir, defaultRemote, remotes };
}

/** Where the CLI keeps the pinned server certificate of a remote. */
export function serverCertPath(config: CliConfig, remote: string): string {
  const base = config.remotes[remote]?.global ? config.globalDir : config.dir;
  return path.join(base, "servercerts", `${remote}.crt`);
}

/** Reads a file that may be absent. */
export function readOptional(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
