// A stack of the `declared` e2e program pointed at a fault daemon, driven through the `pulumi` CLI as a child process
// in its own process group, so a test can interrupt it (SIGINT, SIGKILL) at a point it picks from the provider's
// request log (PULUMI_INCUS_REQUEST_LOG).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { offlineEnv, pulumiCommand, uniqueSuffix } from "../e2e/harness";

export const REPO = path.resolve(__dirname, "..", "..");
const PROGRAM = path.join(REPO, "tests", "e2e", "programs", "declared");

export interface Declared {
  kind: string;
  name: string;
  args: Record<string, unknown>;
  dependsOn?: string[];
}

type Command = "up" | "destroy" | "refresh" | "preview" | "cancel";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  seconds: number;
}

export interface Running {
  child: ChildProcess;
  done: Promise<RunResult>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultStack {
  private constructor(
    readonly stack: Stack,
    readonly name: string,
    readonly env: Record<string, string>,
    private readonly tmp: string,
    readonly requestLog: string,
  ) {}

  /** `socket`: the daemon the stack talks to (stack config incus:socket); undefined leaves the connection to `config`. */
  static async create(socket: string | undefined, config: Record<string, string> = {}): Promise<FaultStack> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pi-faults-"));
    const { requestLog, env: offline } = offlineEnv(tmp);
    const env: Record<string, string> = { ...offline, PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true" };
    const name = `f${uniqueSuffix()}`;
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: PROGRAM }, { pulumiCommand: await pulumiCommand(), envVars: env });
    if (socket !== undefined) await stack.setConfig("incus:socket", { value: socket });
    for (const [k, v] of Object.entries(config)) await stack.setConfig(k, { value: v });
    return new FaultStack(stack, name, env, tmp, requestLog);
  }

  async declare(resources: Declared[]): Promise<void> {
    await this.stack.setConfig("resources", { value: JSON.stringify(resources) });
  }

  /** Starts `pulumi <command>` as users run it in CI (non-interactive, no prompt) in its own process group. */
  start(command: Command, ...extra: string[]): Running {
    // `up` normally skips its preview here (as the Automation API does); "--with-preview" keeps it, as `pulumi up --yes`.
    const withPreview = extra.includes("--with-preview");
    extra = extra.filter((e) => e !== "--with-preview");
    const flags = command === "preview" ? [] : command === "cancel" || withPreview ? ["--yes"] : ["--yes", "--skip-preview"];
    const args = [command, "--stack", this.name, "--non-interactive", ...flags, ...extra];
    const started = Date.now();
    const child = spawn("pulumi", args, { cwd: PROGRAM, env: { ...process.env, ...this.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const done = new Promise<RunResult>((resolve) =>
      child.on("close", (code, signal) => {
        const seconds = (Date.now() - started) / 1000;
        if (process.env.PULUMI_INCUS_FAULTS_VERBOSE) {
          const notes = output
            .split("\n")
            .filter((l) => /error:|warning:|pending|taking it over|interrupted/i.test(l))
            .slice(0, 12);
          process.stderr.write(`pulumi ${command}: exit ${code ?? signal} after ${seconds} s\n${notes.map((l) => "    " + l.trim()).join("\n")}\n`);
        }
        resolve({ code, signal, output, seconds });
      }),
    );
    return { child, done };
  }

  run(command: Command, ...extra: string[]): Promise<RunResult> {
    return this.start(command, ...extra).done;
  }

  /** Runs a command and fails the test with its output when it does not succeed. */
  async mustRun(command: Command, ...extra: string[]): Promise<RunResult> {
    const r = await this.run(command, ...extra);
    if (r.code !== 0) throw new Error(`pulumi ${command} failed (${r.code}):\n${r.output.slice(-4000)}`);
    return r;
  }

  /** Request lines so far ("METHOD path"). */
  requests(): string[] {
    return fs.existsSync(this.requestLog) ? fs.readFileSync(this.requestLog, "utf8").split("\n").filter(Boolean) : [];
  }

  clearRequests(): void {
    if (fs.existsSync(this.requestLog)) fs.truncateSync(this.requestLog, 0);
  }

  writes(): string[] {
    return this.requests().filter((l) => !l.startsWith("GET "));
  }

  /** Resolves once `count` requests match `pattern` (the moment to strike); rejects if `running` ends first. */
  async waitForRequests(pattern: RegExp, count: number, running: Running, timeoutMs = 120_000): Promise<void> {
    let ended = false;
    running.done.then(() => (ended = true));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.requests().filter((l) => pattern.test(l)).length >= count) return;
      if (ended) throw new Error(`pulumi ended before ${count} requests matched ${pattern}:\n${(await running.done).output.slice(-3000)}`);
      await sleep(25);
    }
    throw new Error(`no ${count} requests matched ${pattern} within ${timeoutMs} ms`);
  }

  /** What scripts/lab.sh does first after a killed CLI: scripts/lib.sh's repair_torn_sidecars on this stack's backend. */
  repairTornSidecars(): void {
    execFileSync("bash", ["-c", "source scripts/lib.sh && repair_torn_sidecars"], {
      cwd: REPO,
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "ignore", "inherit"],
    });
  }

  /** The checkpoint as the backend stores it. */
  async state(): Promise<{ resources: StateResource[]; pending: unknown[] }> {
    const d = (await this.stack.exportStack()).deployment;
    return { resources: d.resources ?? [], pending: d.pending_operations ?? [] };
  }

  async remove(): Promise<void> {
    stopLeftovers();
    await this.stack.workspace.removeStack(this.name, { force: true }).catch(() => undefined);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  outputs?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  initErrors?: string[];
}

/** A process by PID and start time (field 22 of /proc/<pid>/stat), so a reused PID is never taken for it. */
interface ProcessId {
  pid: number;
  start: string;
}

function procStat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /s, "")
      .split(" ");
    return { ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** Every process below `root`: a run's plugins (language host, providers) live in process groups of their own. */
function descendants(root: number): ProcessId[] {
  const children = new Map<number, ProcessId[]>();
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    const stat = Number.isInteger(pid) ? procStat(pid) : undefined;
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), { pid, start: stat.start }]);
  }
  const found: ProcessId[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

/** Processes of interrupted runs, recorded when they were signalled: stopped by stopLeftovers(). */
const interrupted: ProcessId[] = [];

/**
 * Sends `signal` to the whole process group of a run (the CLI and what shares its group). The run's plugins have
 * groups of their own and outlive a killed CLI, as they would for a user: they are recorded here and stopped by
 * stopLeftovers() when the test ends.
 */
export function signalGroup(running: Running, signal: NodeJS.Signals): void {
  if (running.child.pid) interrupted.push(...descendants(running.child.pid));
  try {
    process.kill(-running.child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Kills what interrupted runs left running (by the PIDs recorded, and only while each is the same process). */
export function stopLeftovers(): number {
  let stopped = 0;
  for (const p of interrupted.splice(0)) {
    if (procStat(p.pid)?.start !== p.start) continue;
    try {
      process.kill(p.pid, "SIGKILL");
      stopped++;
    } catch {
      // gone meanwhile
    }
  }
  return stopped;
}

const IDENTITY_TYPE = "pulumi-nodejs:dynamic/incus:StackIdentity";

/** Resources of the declared program's kinds in state (not the stack, providers, or the SDK's stack identity). */
export function incusResources(state: { resources: StateResource[] }): StateResource[] {
  return state.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/incus:") && r.type !== IDENTITY_TYPE);
}

/** The SDK's stack identity resources in state (one once the stack has made anything). */
export function stackIdentities(state: { resources: StateResource[] }): StateResource[] {
  return state.resources.filter((r) => r.type === IDENTITY_TYPE);
}
