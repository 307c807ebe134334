// An instance's content against the real daemon: files pushed before the first start, drift of a file changed or
// deleted inside the instance, commands with their results and failures, and waits (running, the guest's Ready,
// an address on a NIC). Debian test image (curl and incus-ready for the guest API) in a project of its own.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeConnections, dropProject, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

const DEBIAN = "pulumi-incus/debian";
const project = `pit-content-${rand()}`;
const q = `?project=${project}`;
const log = requestLog();
jest.setTimeout(120_000);

/**
 * A command's output inside the instance. Every read here prints something; the `incus exec` CLI now and then hands
 * back nothing for a command that exits at once on a loaded machine (seen in CI: a `stat` that printed ""), so an
 * empty answer is asked again (at most twice) before it counts.
 */
const exec = (name: string, ...cmd: string[]) => {
  let out = "";
  for (let i = 0; i < 3 && out === ""; i++) out = incus("exec", name, "--project", project, "--", ...cmd);
  return out;
};
/** A command run once for what it does (it prints nothing). */
const run = (name: string, ...cmd: string[]) => incus("exec", name, "--project", project, "--", ...cmd);
const live = (name: string) => query(`/1.0/instances/${name}${q}`);

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.images": "false", "features.profiles": "true" } });
  incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", project);
});
afterAll(async () => {
  log.restore();
  await closeConnections();
  dropProject(project);
});

// The boot script the image runs once (busybox init, /etc/rc.local): reports Ready through the guest API.
const bootScript = "#!/bin/sh\necho booted > /run/booted\n/usr/local/bin/incus-ready\n";

describe("files, commands and the Ready wait", () => {
  const src = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pit-src-")), "app.conf");
  fs.writeFileSync(src, "port=80\n");
  const args = {
    name: "app",
    project,
    image: DEBIAN,
    waitFor: { ready: { timeout: 60 } },
    files: {
      "/etc/rc.local": { content: bootScript, mode: "0755" },
      "/etc/app.conf": { source: src, mode: "0640", uid: 0, gid: 0 },
      "/root/token": { content: "s3cr3t-token-value", mode: "0600" },
    },
    commands: {
      setup: { command: "cat /etc/app.conf > /root/setup.out && echo done-$NAME", environment: { NAME: "first-secret" } },
    },
    // What the SDK sends for values the program marked secret.
    __secretPaths: [
      ["files", "/root/token", "content"],
      ["commands", "setup", "environment", "NAME"],
    ],
  };
  const c = new Resource("Instance", args);

  it("create pushes files before the first start, waits for Ready and runs the command", async () => {
    const outs = await c.create();
    expect(outs.status).toBe("Ready"); // the boot script saw its file and reported Ready before create returned
    expect(exec("app", "cat", "/run/booted")).toBe("booted\n");
    expect(exec("app", "stat", "-c", "%a %u", "/etc/app.conf", "/root/token", "/etc/rc.local")).toBe("640 0\n600 0\n755 0\n");
    expect(exec("app", "cat", "/root/setup.out")).toBe("port=80\n");
    expect(outs.commandResults).toEqual({ setup: { exitCode: 0, stdout: "done-[secret]\n", stderr: "", digest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(Object.keys(outs.fileDigests as object).sort()).toEqual(["/etc/app.conf", "/etc/rc.local", "/root/token"]);
  });

  it("a second diff changes nothing and downloads no file (metadata only)", async () => {
    log.take();
    expect(await c.diff()).toEqual({ changes: false });
    const reqs = log.take();
    expect(reqs.filter((r) => r.startsWith("HEAD "))).toHaveLength(3);
    expect(reqs.filter((r) => r.startsWith("GET ") && r.includes("/files"))).toEqual([]);
  });

  it("a file changed or deleted inside the instance is drift, named without its content, and put back", async () => {
    run("app", "sh", "-c", "echo tampered-longer-content > /root/token; rm /etc/app.conf");
    expect(await c.diff()).toEqual({ changes: true });
    expect(c.printed).toEqual([
      `Instance "app" in project "${project}": files["/etc/app.conf"]: missing in the instance`,
      `Instance "app" in project "${project}": files["/root/token"]: content in the instance differs from the program`,
    ]);
    expect(c.printed.join("\n")).not.toContain("s3cr3t");
    await c.update();
    expect(exec("app", "cat", "/root/token")).toBe("s3cr3t-token-value");
    expect(exec("app", "stat", "-c", "%a", "/etc/app.conf")).toBe("640\n");
    expect(await c.diff()).toEqual({ changes: false });
  });

  it("a changed local source file, a changed mode and a dropped file update in place; the command does not rerun", async () => {
    fs.writeFileSync(src, "port=8080\n");
    const before = query(`/1.0/instances/app/state${q}`).pid;
    const files = { ...args.files, "/etc/app.conf": { source: src, mode: "0644" } } as Record<string, unknown>;
    delete files["/root/token"];
    expect(await c.up({ ...args, files })).toEqual({ changes: true });
    expect(c.printed.sort()).toEqual([
      `Instance "app" in project "${project}": files["/etc/app.conf"]: content in the instance differs from the program`,
      `Instance "app" in project "${project}": files["/root/token"]: no longer in the program, will be deleted from the instance`,
    ]);
    expect(exec("app", "cat", "/etc/app.conf")).toBe("port=8080\n");
    expect(exec("app", "stat", "-c", "%a", "/etc/app.conf")).toBe("644\n");
    expect(exec("app", "sh", "-c", "test -e /root/token || echo gone")).toBe("gone\n");
    expect(exec("app", "cat", "/root/setup.out")).toBe("port=80\n"); // `create` command: not rerun
    expect(query(`/1.0/instances/app/state${q}`).pid).toBe(before);
    expect(await c.diff()).toEqual({ changes: false });
  });

  it("an edited command runs again in place; a failing one fails with its exit code (output withheld: secret inputs) and is recorded as failed", async () => {
    const commands = { setup: { command: "cat /etc/app.conf > /root/setup.out && echo again" } };
    const next = { ...c.args, commands };
    expect(await c.up(next)).toEqual({ changes: true });
    expect(c.printed).toEqual([`Instance "app" in project "${project}": commands.setup: changed`]);
    expect(c.state.commandResults).toMatchObject({ setup: { exitCode: 0, stdout: "again\n", stderr: "" } });
    expect(exec("app", "cat", "/root/setup.out")).toBe("port=8080\n");

    // A secret input (an environment value): what the command prints may hold part of it.
    const failing = {
      ...next,
      commands: { ...commands, broken: { command: "echo about to fail; echo bad thing >&2; exit 3", environment: { TOKEN: "tok-1234" } } },
      __secretPaths: [["commands", "broken", "environment", "TOKEN"]],
    };
    const err = (await rejection(c.up(failing))) as Error & { id?: string; properties?: Record<string, unknown> };
    expect(err.message).toContain(
      "commands.broken: exited with code 3; its output is withheld here because the instance has secret inputs (it is kept in the secret output `commandResults`)",
    );
    expect(err.message).not.toContain("bad thing");
    // The failed run is recorded with the new inputs (Pulumi keeps a partial update's outputs), so the next preview
    // says it failed, not that it never ran; the command that ran before it is not due again.
    expect(err.id).toBe(c.id);
    expect(err.properties).toMatchObject({
      commands: failing.commands,
      commandResults: { setup: { exitCode: 0, stdout: "again\n" }, broken: { exitCode: 3, stdout: "about to fail\n", stderr: "bad thing\n" } },
    });
    c.state = err.properties!;
    expect(await c.diff(failing)).toEqual({ changes: true });
    expect(c.printed).toEqual([`Instance "app" in project "${project}": commands.broken: failed last time (exit code 3), will run again`]);
  });

  it("`update` commands run on every update, `always` ones on every up", async () => {
    const commands = {
      count: { command: "echo x >> /root/count; wc -l < /root/count", when: "update" },
      every: { command: "echo y >> /root/every", when: "always" },
    };
    await c.up({ ...c.args, commands });
    expect(exec("app", "wc", "-l", "/root/count", "/root/every").trim().split(/\s+/).slice(0, 3)).toEqual(["1", "/root/count", "1"]);
    expect(await c.up({ ...c.args, commands })).toEqual({ changes: true }); // always: a change on every up
    expect(c.printed).toEqual([`Instance "app" in project "${project}": commands.every: runs on every up`]);
    expect(exec("app", "cat", "/root/count")).toBe("x\nx\n"); // an update happened, so the update command ran
    expect((c.state.commandResults as Record<string, { stdout: string }>).count.stdout).toBe("2\n");
  });

  it("a changed trigger runs a command again; the same triggers do not", async () => {
    const commands = { stamp: { command: "echo run >> /root/stamp", triggers: ["1.0", 1] } };
    await c.up({ ...c.args, commands });
    expect(await c.diff({ ...c.args, commands })).toEqual({ changes: false });
    const bumped = { stamp: { ...commands.stamp, triggers: ["1.1", 1] } };
    expect(await c.up({ ...c.args, commands: bumped })).toEqual({ changes: true });
    expect(c.printed).toEqual([`Instance "app" in project "${project}": commands.stamp: triggers changed, will run again`]);
    expect(exec("app", "cat", "/root/stamp")).toBe("run\nrun\n");
    expect(await c.diff()).toEqual({ changes: false });
  });

  it("delete removes the instance", async () => {
    await c.delete();
    expect(live("app")).toBeUndefined();
  });
});

describe("a failing create command or a timed-out wait keeps the instance in state with the reason", () => {
  it("command failure at create: partial state records the failed run, so the next up runs it again", async () => {
    const c = new Resource("Instance", { name: "bad", project, image: DEBIAN, commands: { init: { command: "echo init broke >&2; exit 7" } } });
    const err = (await rejection(c.create())) as Error & { id?: string; properties?: Record<string, unknown> };
    // No secret input: the end of the output is in the message.
    expect(err.message).toContain(
      `Instance "bad" in project "${project}" was created but is not ready: commands.init: exited with code 7; last output:\ninit broke`,
    );
    expect(err.id).toBe(`/1.0/instances/bad${q}`);
    expect(err.properties).toMatchObject({ name: "bad", status: "Running", commandResults: { init: { exitCode: 7, stdout: "", stderr: "init broke\n" } } });
    c.id = err.id!;
    c.state = err.properties!;
    expect(await c.diff()).toEqual({ changes: true });
    expect(c.printed).toEqual([`Instance "bad" in project "${project}": commands.init: failed last time (exit code 7), will run again`]);
    await c.delete();
  });

  it("Ready never reported: the wait fails after its timeout, the instance stays", async () => {
    const c = new Resource("Instance", { name: "slow", project, image: DEBIAN, waitFor: { running: {}, ready: { timeout: 3 } } });
    const started = Date.now();
    const err = (await rejection(c.create())) as Error & { id?: string; properties?: Record<string, unknown> };
    expect(err.message).toContain("waitFor.ready: the guest has not reported Ready after 3 s (status Running)");
    expect(Date.now() - started).toBeLessThan(30_000);
    c.id = err.id!;
    c.state = err.properties!;
    expect(live("slow").status).toBe("Running");
    // The guest reports Ready later: the next up finds the wait met and changes nothing.
    expect(await c.diff()).toEqual({ changes: true });
    run("slow", "/usr/local/bin/incus-ready");
    expect(await c.diff()).toEqual({ changes: false });
    await c.delete();
  });
});

describe("address wait", () => {
  // No network sends anything here: the NIC sits on a bridge without addresses, and the address is set by hand
  // inside the instance on the link left down (no DHCP, no packets).
  const bridge = `pitc${rand()}`;
  beforeAll(() => incus("network", "create", bridge, "ipv4.address=none", "ipv6.address=none"));
  afterAll(() => incus("network", "delete", bridge));

  it("is met once the named NIC has an address of the family, found by polling (no event announces it)", async () => {
    const c = new Resource("Instance", {
      name: "addr",
      project,
      image: DEBIAN,
      devices: { eth0: { type: "nic", network: bridge, name: "eth0" } },
      waitFor: { addresses: [{ nic: "eth0", family: "ipv4", timeout: 60 }] },
      // Set by the boot script a few seconds after start: the wait must see it appear.
      files: { "/etc/rc.local": { content: "#!/bin/sh\nsleep 2\nbusybox ip addr add 192.0.2.10/24 dev eth0\n", mode: "0755" } },
    });
    const outs = await c.create();
    expect(outs.ipv4Addresses).toEqual(["192.0.2.10"]);
    await c.delete();
  });
});

describe("copies", () => {
  const exec2 = (name: string, ...cmd: string[]) => incus("exec", name, "--project", project, "--", ...cmd);

  it("an instance copied from another instance, or from one of its snapshots, has that content and no drift", async () => {
    incus("launch", "pulumi-incus/busybox", "src", "--project", project);
    exec2("src", "sh", "-c", "echo v1 > /root/v");
    incus("snapshot", "create", "src", "s1", "--project", project);
    exec2("src", "sh", "-c", "echo v2 > /root/v");

    const now = new Resource("Instance", { name: "copy-now", project, copyFrom: { instance: "src" }, config: { "user.copy": "now" } });
    await now.create();
    expect(exec2("copy-now", "cat", "/root/v")).toBe("v2\n");
    expect(live("copy-now").config["user.copy"]).toBe("now");
    expect(await now.diff()).toEqual({ changes: false });

    const then = new Resource("Instance", { name: "copy-then", project, copyFrom: { instance: "src", snapshot: "s1" } });
    await then.create();
    expect(exec2("copy-then", "cat", "/root/v")).toBe("v1\n");
    expect(await then.diff()).toEqual({ changes: false });
    // Another source is another instance: a replacement.
    expect(await then.diff({ ...then.args, copyFrom: { instance: "src" } })).toMatchObject({ changes: true, replaces: ["copyFrom"] });

    await now.delete();
    await then.delete();
    incus("delete", "-f", "src", "--project", project);
  });
});

describe("files whose parent directories are missing", () => {
  it("creates the missing directories (0755) before pushing the file", async () => {
    const c = new Resource("Instance", {
      name: "parents",
      project,
      image: "pulumi-incus/busybox",
      files: { "/run/pi-new/secrets/pw": { content: "x", mode: "0400" } },
    });
    await c.create();
    expect(exec("parents", "stat", "-c", "%a %n", "/run/pi-new", "/run/pi-new/secrets", "/run/pi-new/secrets/pw")).toBe(
      "755 /run/pi-new\n755 /run/pi-new/secrets\n400 /run/pi-new/secrets/pw\n",
    );
    expect(await c.diff()).toEqual({ changes: false });
    await c.delete();
  });
});
