// The generator's reading half: every object of the covered kinds in one project, each read as `pulumi import` reads
// it (the engine's importObject: identity and the fields the server has set, server-filled keys and empty fields
// left out), with its API path (the id an import file names).
import { clientFor } from "../engine/connection";
import { engineFor } from "../index";
import { kinds } from "../kinds";

type State = Record<string, unknown>;

/** Kinds the generator covers, in the order a program declares them (what others refer to comes first). */
export const GENERATED_KINDS = [
  "StoragePool",
  "NetworkAcl",
  "Network",
  "StorageVolume",
  "Profile",
  "Image",
  "ImageAlias",
  "Instance",
  "InstanceSnapshot",
] as const;
export type GeneratedKind = (typeof GENERATED_KINDS)[number];

/** Server-wide kinds: read with the `default` project only (another project's program does not own them). */
const SERVER_WIDE = new Set<GeneratedKind>(["StoragePool"]);

export interface Found {
  kind: GeneratedKind;
  /** The program's fields as the server has them (identity included), empty values left out. */
  props: State;
  /** The object's API path with `?project=` (what `pulumi import` takes as its id). */
  id?: string;
}

export interface Connection {
  project: string;
  remote?: string;
  socket?: string;
}

/** Fields the stack config supplies (the connection), never written per resource. */
const CONNECTION = new Set(["project", "remote", "socket", "configDir"]);

const seg = encodeURIComponent;

/** The identities (the fields of the kind's path: name, a volume's pool, a snapshot's instance, an image's fingerprint). */
async function identities(kind: GeneratedKind, conn: Connection): Promise<State[]> {
  const client = clientFor({ ...conn });
  const opts = { project: conn.project, recursion: 1 };
  const list = (path: string, project: string | null = conn.project) => client.list<State>(path, { ...opts, project });
  const names = (objects: State[]) => objects.map((o) => ({ name: o.name }));
  switch (kind) {
    case "StoragePool":
      return names(await list("/1.0/storage-pools", null));
    case "NetworkAcl":
      return names(await list("/1.0/network-acls"));
    case "Network":
      // Host interfaces Incus lists but does not manage are no objects of the program.
      return names((await list("/1.0/networks")).filter((n) => n.managed === true));
    case "Profile":
      return names(await list("/1.0/profiles"));
    case "StorageVolume": {
      const out: State[] = [];
      for (const pool of await list("/1.0/storage-pools", null))
        for (const v of await list(`/1.0/storage-pools/${seg(String(pool.name))}/volumes/custom`)) out.push({ name: v.name, pool: pool.name });
      return out;
    }
    case "Image":
      return (await list("/1.0/images")).map((i) => ({ fingerprint: i.fingerprint }));
    case "ImageAlias":
      return names(await list("/1.0/images/aliases"));
    case "Instance":
      return names(await list("/1.0/instances"));
    case "InstanceSnapshot": {
      const out: State[] = [];
      for (const i of await list("/1.0/instances"))
        for (const s of await list(`/1.0/instances/${seg(String(i.name))}/snapshots`)) out.push({ instance: i.name, name: String(s.name).split("/").pop() });
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
  const project = (await clientFor({ ...conn }).get<State>(`/1.0/projects/${seg(conn.project)}`, { project: null })).value;
  for (const kind of GENERATED_KINDS.filter((k) => wanted.includes(k))) {
    if (SERVER_WIDE.has(kind) && conn.project !== "default") {
      progress(`skipping ${kind}: server-wide objects are generated with --project default`);
      continue;
    }
    // With the kind's feature off, Incus answers with the default project's objects: those are not this project's.
    const feature = kinds[kind].feature;
    if (conn.project !== "default" && feature && (project.config as State | undefined)?.[feature] !== "true") {
      progress(`skipping ${kind}: project "${conn.project}" has ${feature} off (its objects are the default project's)`);
      continue;
    }
    const ids = await identities(kind, conn);
    progress(`reading ${ids.length} ${kind} object(s) in project "${conn.project}"`);
    const engine = engineFor(kind);
    for (const [i, identity] of ids.entries()) {
      const path = kinds[kind].path(identity as never);
      const id = kinds[kind].scoped ? `${path}?project=${seg(conn.project)}` : path;
      const { inputs } = await engine.importObject(id);
      const props = Object.fromEntries(Object.entries(inputs).filter(([k]) => !CONNECTION.has(k)));
      found.push({ kind, props, id });
      if ((i + 1) % 25 === 0) progress(`  ${kind}: ${i + 1}/${ids.length}`);
    }
  }
  return found;
}
