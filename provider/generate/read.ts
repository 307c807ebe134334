// The generator's reading half: every object of the covered kinds in one project, each as the kind's lookup reports
// it (server-filled keys already left out), reduced to the program fields that hold a value.
import { clientFor } from "../engine/connection";
import { engineFor } from "../index";
import { kinds } from "../kinds";
import { schemaShape } from "../engine/inputs";

type State = Record<string, unknown>;

/** Kinds the generator covers, in the order a program declares them (what others refer to comes first). */
export const GENERATED_KINDS = ["NetworkAcl", "Network", "StorageVolume", "Profile"] as const;
export type GeneratedKind = (typeof GENERATED_KINDS)[number];

export interface Found {
  kind: GeneratedKind;
  /** The program's fields as the server has them (identity included), empty values left out. */
  props: State;
}

export interface Connection {
  project: string;
  remote?: string;
  socket?: string;
}

/** Fields the stack config supplies (the connection), never written per resource. */
const CONNECTION = new Set(["project", "remote", "socket", "configDir"]);

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && Object.keys(v as object).length === 0;
}

/** The identities (name, and a volume's pool) of every object of the kind in the project. */
async function identities(kind: GeneratedKind, conn: Connection): Promise<State[]> {
  const client = clientFor({ ...conn });
  const opts = { project: conn.project, recursion: 1 };
  const names = (list: State[]) => list.map((o) => ({ name: o.name }));
  switch (kind) {
    case "NetworkAcl":
      return names(await client.list<State>("/1.0/network-acls", opts));
    case "Network":
      // Host interfaces Incus lists but does not manage are no objects of the program.
      return names((await client.list<State>("/1.0/networks", opts)).filter((n) => n.managed === true));
    case "Profile":
      return names(await client.list<State>("/1.0/profiles", opts));
    case "StorageVolume": {
      const pools = await client.list<State>("/1.0/storage-pools", { project: null, recursion: 1 });
      const out: State[] = [];
      for (const pool of pools) {
        const vols = await client.list<State>(`/1.0/storage-pools/${encodeURIComponent(String(pool.name))}/volumes/custom`, opts);
        for (const v of vols) out.push({ name: v.name, pool: pool.name });
      }
      return out;
    }
  }
}

/**
 * Reads the project: `kinds` (default: all covered) one after another, one request per object after each list.
 * `progress` hears a line per kind and every 25 objects.
 */
export async function readProject(conn: Connection, wanted: readonly GeneratedKind[], progress: (line: string) => void): Promise<Found[]> {
  const found: Found[] = [];
  const project = (await clientFor({ ...conn }).get<State>(`/1.0/projects/${encodeURIComponent(conn.project)}`, { project: null })).value;
  for (const kind of GENERATED_KINDS.filter((k) => wanted.includes(k))) {
    // With the kind's feature off, Incus answers with the default project's objects: those are not this project's.
    const feature = kinds[kind].feature;
    if (conn.project !== "default" && feature && (project.config as State | undefined)?.[feature] !== "true") {
      progress(`skipping ${kind}: project "${conn.project}" has ${feature} off (its objects are the default project's)`);
      continue;
    }
    const ids = await identities(kind, conn);
    progress(`reading ${ids.length} ${kind} object(s) in project "${conn.project}"`);
    const shape = schemaShape(kinds[kind].schema as never);
    for (const [i, id] of ids.entries()) {
      const where = Object.fromEntries(Object.entries(conn).filter(([, v]) => v !== undefined));
      const whole = await engineFor(kind).lookup({ ...id, ...where });
      const props = Object.fromEntries(Object.entries(whole).filter(([k, v]) => k in shape && !CONNECTION.has(k) && !isEmpty(v)));
      found.push({ kind, props });
      if ((i + 1) % 25 === 0) progress(`  ${kind}: ${i + 1}/${ids.length}`);
    }
  }
  return found;
}
