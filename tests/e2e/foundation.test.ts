// The dynamic-provider path end to end: the real engine runs a program directory, our provider is serialised,
// loaded in the provider process and requires this package; the object it makes is real.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { exampleStack, incusJson, REPO, uniqueSuffix } from "./harness";

jest.setTimeout(180_000);

describe("minimal program through the Automation API", () => {
  it("previews, creates, changes nothing on a second up, and destroys a real profile", async () => {
    const profileName = `pi-min-${uniqueSuffix()}`;
    const t = await exampleStack("minimal", { profileName });
    try {
      const preview = await t.stack.preview();
      expect(preview.changeSummary.create).toBe(3); // the stack, its identity and the profile
      expect(t.writes(t.takeRequests())).toEqual([]);
      expect(incusJson(`/1.0/profiles/${profileName}`)).toBeNull();

      const up = await t.stack.up();
      expect(up.summary.resourceChanges?.create).toBe(3);
      expect(up.outputs.name.value).toBe(profileName);
      const live = incusJson(`/1.0/profiles/${profileName}`);
      expect(live.description).toBe("made by pulumi-incus");
      expect(live.config["user.managed-by"]).toBe("pulumi");
      expect(t.writes(t.takeRequests())).toEqual([`POST /1.0/profiles`]);

      const again = await t.stack.up();
      expect(again.summary.resourceChanges).toEqual({ same: 3 });
      const requests = t.takeRequests();
      expect(requests.length).toBeGreaterThan(0); // diff really read the live object
      expect(t.writes(requests)).toEqual([]);

      await t.stack.destroy();
      expect(incusJson(`/1.0/profiles/${profileName}`)).toBeNull();
    } finally {
      await t.cleanup();
    }
  });
});

describe("minimal program through the pulumi CLI", () => {
  it("runs up and destroy in the program directory, as a user would", async () => {
    const profileName = `pi-cli-${uniqueSuffix()}`;
    const t = await exampleStack("minimal", { profileName });
    const run = (...args: string[]) =>
      execFileSync("pulumi", [...args, "--stack", t.stack.name, "--non-interactive"], {
        cwd: path.join(REPO, "examples", "minimal"),
        env: { ...process.env, ...t.env },
        encoding: "utf8",
      });
    try {
      run("up", "--yes", "--skip-preview");
      expect(incusJson(`/1.0/profiles/${profileName}`)?.name).toBe(profileName);
      const second = run("preview", "--expect-no-changes");
      expect(second).toMatch(/3 unchanged/); // the stack, its identity, the profile
      run("destroy", "--yes");
      expect(incusJson(`/1.0/profiles/${profileName}`)).toBeNull();
    } finally {
      await t.cleanup();
    }
  });
});

describe("provider-wide settings from stack config", () => {
  it("incus:project and incus:socket apply to every resource; a wrong socket is named in the error", async () => {
    const project = `pi-cfg-${uniqueSuffix()}`;
    const profileName = `pi-cfg-${uniqueSuffix()}`;
    execFileSync("incus", ["project", "create", project]);
    const t = await exampleStack("minimal", {
      profileName,
      "incus:project": project,
      "incus:socket": "/var/lib/incus/unix.socket",
    });
    try {
      await t.stack.up();
      expect(incusJson(`/1.0/profiles/${profileName}?project=${project}`)?.name).toBe(profileName);
      expect(incusJson(`/1.0/profiles/${profileName}`)).toBeNull();
      await t.stack.destroy();

      await t.stack.setConfig("incus:socket", { value: "/nonexistent/incus.socket" });
      let message = "";
      try {
        await t.stack.up();
      } catch (err) {
        message = String(err);
      }
      expect(message).toContain("/nonexistent/incus.socket");
      expect(incusJson(`/1.0/profiles/${profileName}?project=${project}`)).toBeNull();
    } finally {
      await t.stack.setConfig("incus:socket", { value: "/var/lib/incus/unix.socket" });
      await t.cleanup();
      execFileSync("incus", ["project", "delete", project]);
    }
  });
});
