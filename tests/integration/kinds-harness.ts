// Shared by the per-kind integration suites (kinds-*.test.ts): drive one resource through the provider methods in
// the order the Pulumi engine calls them, feeding each call's outputs to the next; check and change the daemon
// out of band with the `incus` CLI (so the provider's request log only shows the provider's own requests).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, engineFor, type KindName } from "pulumi-incus/provider";

export type State = Record<string, unknown>;
export interface DiffResult {
  changes: boolean;
  replaces?: string[];
  deleteBeforeReplace?: boolean;
}

export const BUSYBOX_ALIAS = "pulumi-incus/busybox";
export const BUSYBOX_TARBALL = path.join(os.homedir(), ".cache/pulumi-incus/images/busybox.tar.gz");

/**
 * The busybox test tarball with another release in metadata.yaml, written under `dir`: the same image with new
 * content, so a new fingerprint (tests that must not meet the shared test image, or need two images).
 */
export function variantTarball(dir: string, release: string): string {
  const tree = fs.mkdtempSync(path.join(dir, "tree-"));
  execFileSync("tar", ["xzf", BUSYBOX_TARBALL, "-C", tree]);
  const meta = path.join(tree, "metadata.yaml");
  fs.writeFileSync(meta, fs.readFileSync(meta, "utf8").replace(/release: .*/, `release: "${release}"`));
  const out = path.join(dir, `${release}.tar.gz`);
  execFileSync("tar", ["czf", out, "-C", tree, "metadata.yaml", "rootfs"]);
  return out;
}

/** A short random suffix for names that must not collide with other runs. */
export function rand(): string {
  return randomBytes(3).toString("hex");
}

/**
 * The incus CLI helpers for one daemon: the shared one, or a private one by its INCUS_DIR (tests/faults/daemon.ts),
 * so a suite can drive rows on both with the same code.
 */
export function cli(incusDir?: string) {
  const env = incusDir ? { ...process.env, INCUS_DIR: incusDir } : undefined;
  /** Runs the incus CLI; throws with its stderr on failure. */
  const incus = (...args: string[]): string => {
    try {
      return execFileSync("incus", args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`incus ${args.join(" ")}: ${(e.stderr ?? e.message).trim()}`);
    }
  };
  /** GET through the CLI (`incus query`): the object, or undefined when Incus says it does not exist. */
  const query = <T = any>(apiPath: string): T | undefined => {
    try {
      return JSON.parse(incus("query", apiPath)) as T;
    } catch (err) {
      if (/not found/i.test((err as Error).message)) return undefined;
      throw err;
    }
  };
  /** A write through the CLI, as another person or tool would make it. */
  const queryWrite = (method: "PUT" | "PATCH" | "POST" | "DELETE", apiPath: string, body?: unknown): void => {
    incus("query", "--wait", "-X", method, ...(body === undefined ? [] : ["-d", JSON.stringify(body)]), apiPath);
  };
  /**
   * Deletes an object if it is still there (cleanup after a failed test). A bridge's delete is asked again (at most
   * twice, 1 s apart) when Incus fails listing its child interfaces because an interface vanished meanwhile: another
   * suite deleting its own network at that moment (seen in CI: `ip -d -j link show plc4c9a8-r: … does not exist`).
   */
  const dropIfPresent = (apiPath: string): void => {
    for (let attempt = 1; query(apiPath); attempt++) {
      try {
        queryWrite("DELETE", apiPath);
        return;
      } catch (err) {
        if (attempt >= 3 || !/Failed to delete bridge children interfaces/.test((err as Error).message)) throw err;
        execFileSync("sleep", ["1"]);
      }
    }
  };
  return { incus, query, queryWrite, dropIfPresent };
}
export type Cli = ReturnType<typeof cli>;

/** The helpers for the shared daemon. */
export const { incus, query, queryWrite, dropIfPresent } = cli();

/** Points the provider's request log at a fresh file for this suite; `take()` returns and clears what was logged. */
export function requestLog() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pi-kinds-")), "requests.log");
  const previous = process.env.PULUMI_INCUS_REQUEST_LOG;
  process.env.PULUMI_INCUS_REQUEST_LOG = file;
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
  return {
    take(): string[] {
      const lines = read();
      if (fs.existsSync(file)) fs.truncateSync(file, 0);
      return lines;
    },
    /** Requests other than GET (the events stream is a GET too). */
    takeWrites(): string[] {
      return this.take().filter((l) => !l.startsWith("GET "));
    },
    restore(): void {
      if (previous === undefined) delete process.env.PULUMI_INCUS_REQUEST_LOG;
      else process.env.PULUMI_INCUS_REQUEST_LOG = previous;
    },
  };
}

export type RequestLog = ReturnType<typeof requestLog>;

/** A no-op: the diff of `args` (default: the resource's own) says unchanged, and nothing but reads was sent. */
export async function expectNoOp(r: Resource, log: RequestLog, args?: State): Promise<void> {
  log.take();
  expect(await r.diff(args)).toEqual({ changes: false });
  expect(log.takeWrites()).toEqual([]);
}

/**
 * One resource as the Pulumi engine sees it: the checked inputs go to create, the outputs of each call are the
 * state the next call gets (olds), and `up` is what `pulumi up` does with new args.
 */
export class Resource {
  id = "";
  state: State = {};
  /** What the last diff printed for the preview. */
  printed: string[] = [];
  /** What the last check printed (what adopting will change). */
  checkPrinted: string[] = [];

  constructor(
    readonly kind: KindName,
    public args: State,
  ) {}

  private get engine() {
    return process.env.PULUMI_INCUS_VIA === "plugin" ? viaPlugin(this.kind) : engineFor(this.kind);
  }

  async check(args: State = this.args): Promise<State> {
    // What check prints for the preview (an adopt's differences) is kept in `checkPrinted`, not written to the test
    // log; a test that watches console.log itself still sees it.
    const log = jest.isMockFunction(console.log) ? undefined : jest.spyOn(console, "log").mockImplementation(() => {});
    let res: Awaited<ReturnType<typeof this.engine.check>>;
    try {
      res = await this.engine.check(this.state, args);
    } finally {
      if (log) {
        this.checkPrinted = log.mock.calls.map((c) => String(c[0]));
        log.mockRestore();
      }
    }
    if (res.failures) throw new Error(`check failed: ${res.failures.map((f) => `(${f.property}) ${f.reason}`).join("; ")}`);
    return res.inputs!;
  }

  async create(args: State = this.args): Promise<State> {
    this.args = args;
    const res = await this.engine.create(await this.check(args));
    this.id = res.id;
    this.state = res.outs;
    return res.outs;
  }

  async diff(args: State = this.args): Promise<DiffResult> {
    const inputs = await this.check(args);
    const log = jest.spyOn(console, "log").mockImplementation(() => {});
    try {
      return await this.engine.diff(this.id, this.state, inputs);
    } finally {
      this.printed = log.mock.calls.map((c) => String(c[0]));
      log.mockRestore();
    }
  }

  async update(args: State = this.args): Promise<State> {
    this.args = args;
    const res = await this.engine.update(this.id, this.state, await this.check(args));
    this.state = res.outs;
    return res.outs;
  }

  /** diff, then update, replace (in the order the diff asks for) or nothing; returns the diff. */
  async up(args: State = this.args): Promise<DiffResult> {
    const diff = await this.diff(args);
    if (!diff.changes) {
      this.args = args;
      return diff;
    }
    if (!diff.replaces?.length) {
      await this.update(args);
    } else if (diff.deleteBeforeReplace) {
      await this.delete();
      await this.create(args);
    } else {
      const old = { id: this.id, state: this.state };
      await this.create(args);
      await this.engine.delete(old.id, old.state);
    }
    return diff;
  }

  /** refresh: the live object, or {} when it is gone. */
  async read() {
    const res = await this.engine.read(this.id, this.state);
    if (res.props) this.state = res.props;
    return res;
  }

  async delete(): Promise<void> {
    await this.engine.delete(this.id, this.state);
  }
}

/**
 * The engine as the `incus` resource provider plugin serves it (PULUMI_INCUS_VIA=plugin): every call goes through the
 * plugin's protocol layer (provider/plugin/provider.ts: URN, default name, owner, secret markers) and comes back in
 * the engine's own shapes, so one suite checks both paths.
 */
function viaPlugin(kind: KindName) {
  const { incusPlugin } = require("../../provider/plugin/provider") as typeof import("../../provider/plugin/provider");
  const plugin = incusPlugin("0.0.0-test");
  const urn = `urn:pulumi:test::lifecycle::incus:index:${kind}::r`;
  return {
    check: (olds: State, news: State) => plugin.check!(urn, olds, news),
    diff: async (id: string, olds: State, news: State) => {
      const { detailed: _detailed, ...result } = await plugin.diffDetailed(id, urn, olds, news);
      // The plugin's answer keeps the delete-first flag on an update (its callers ask for it there, and Pulumi
      // heeds it only on a replacement); the engine's `diff` drops it there: compare in the engine's shape.
      return (result.replaces?.length ? result : { changes: result.changes }) as DiffResult;
    },
    create: (inputs: State) => plugin.create!(urn, inputs) as Promise<{ id: string; outs: State }>,
    read: async (id: string, props: State): Promise<{ id?: string; props?: State; inputs?: State }> => {
      const res = await plugin.read!(id, urn, props);
      return res.id ? res : {};
    },
    update: (id: string, olds: State, news: State) => plugin.update!(id, urn, olds, news) as Promise<{ outs: State }>,
    delete: (id: string, props: State) => plugin.delete!(id, urn, props),
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export { expectRejection as rejection } from "./client-helpers";

/**
 * The objects of a collection that really belong to `project`. Where a project's feature for a kind is off, the
 * request falls through to the default project, so a blind cleanup would delete other people's
 * images or profiles: keep only what the server says lives in this project.
 */
function owned(collection: string, project: string): string[] {
  const items = query<{ name?: string; fingerprint?: string; project?: string }[]>(`${collection}?recursion=1&project=${project}`) ?? [];
  return items.filter((o) => o.project === project).map((o) => o.fingerprint ?? o.name!);
}

/** Removes a test project and what the suites put in it, in dependency order; fine if it is already gone. */
export function dropProject(project: string): void {
  if (!query(`/1.0/projects/${project}`)) return;
  const q = `?project=${project}`;
  for (const name of owned("/1.0/instances", project)) {
    if (query<{ status: string }>(`/1.0/instances/${name}${q}`)?.status !== "Stopped") {
      queryWrite("PUT", `/1.0/instances/${name}/state${q}`, { action: "stop", force: true });
    }
    queryWrite("DELETE", `/1.0/instances/${name}${q}`);
  }
  for (const fp of owned("/1.0/images", project)) queryWrite("DELETE", `/1.0/images/${fp}${q}`);
  // Profiles before volumes: a profile's disk device holds its volume.
  for (const name of owned("/1.0/profiles", project)) if (name !== "default") queryWrite("DELETE", `/1.0/profiles/${name}${q}`);
  // The list names snapshots too ("vol/snap"); they go with their volume.
  for (const name of owned("/1.0/storage-pools/default/volumes/custom", project)) {
    if (!name.includes("/")) queryWrite("DELETE", `/1.0/storage-pools/default/volumes/custom/${name}${q}`);
  }
  for (const name of owned("/1.0/network-acls", project)) queryWrite("DELETE", `/1.0/network-acls/${name}${q}`);
  for (const name of owned("/1.0/network-zones", project)) queryWrite("DELETE", `/1.0/network-zones/${name}${q}`);
  queryWrite("DELETE", `/1.0/projects/${project}`);
}

/** Closes the provider's connections and events streams, so Jest can exit. */
export async function closeConnections(): Promise<void> {
  await closeAllPools();
}
