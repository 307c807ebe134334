// scripts/lib.sh clear_stale_locks: of a stack's locks in a file:// backend, only those of a pulumi process of this
// machine that is gone are removed (with their .attrs sidecar); a live process's lock and another machine's stay.
// repair_torn_sidecars: an empty .attrs sidecar (a CLI killed while it saved) goes; every other file stays.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(__dirname, "..", "..");

/** Runs a scripts/lib.sh function against the file backend in `backend`. */
function runLib(command: string, backend: string): void {
  execFileSync("bash", ["-c", `source scripts/lib.sh && ${command}`], {
    cwd: REPO,
    env: { ...process.env, PULUMI_BACKEND_URL: `file://${backend}` },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

test("removes the locks of dead local processes only", () => {
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "pi-locks-"));
  try {
    const dir = path.join(backend, ".pulumi", "locks", "organization", "proj", "lab");
    fs.mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
    const lock = (file: string, pid: number, hostname: string) => {
      fs.writeFileSync(path.join(dir, file), JSON.stringify({ pid, username: "root", hostname, timestamp: new Date().toISOString() }));
      fs.writeFileSync(path.join(dir, `${file}.attrs`), "{}");
    };
    lock("dead.json", Number(dead.stdout.trim()), os.hostname());
    lock("live.json", process.pid, os.hostname());
    lock("elsewhere.json", Number(dead.stdout.trim()), `not-${os.hostname()}`);
    runLib("clear_stale_locks lab", backend);
    expect(fs.readdirSync(dir).sort()).toEqual(["elsewhere.json", "elsewhere.json.attrs", "live.json", "live.json.attrs"]);
  } finally {
    fs.rmSync(backend, { recursive: true, force: true });
  }
});

test("removes the empty .attrs sidecars a killed CLI left, and nothing else", () => {
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "pi-attrs-"));
  try {
    const dir = path.join(backend, ".pulumi", "stacks", "proj");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "lab.json"), "{}");
    fs.writeFileSync(path.join(dir, "lab.json.attrs"), "");
    fs.writeFileSync(path.join(dir, "lab.json.bak"), "{}");
    fs.writeFileSync(path.join(dir, "lab.json.bak.attrs"), '{"user.cache-control":""}');
    fs.writeFileSync(path.join(dir, "empty.json"), "");
    runLib("repair_torn_sidecars", backend);
    expect(fs.readdirSync(dir).sort()).toEqual(["empty.json", "lab.json", "lab.json.bak", "lab.json.bak.attrs"]);
  } finally {
    fs.rmSync(backend, { recursive: true, force: true });
  }
});
