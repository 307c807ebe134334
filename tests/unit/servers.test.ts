// Incus or LXD, without a daemon: what kinds and fields require of the server (engine/server.ts, the kinds'
// `requires` / `fieldRequires` / `onServer` lines), and how LXD is found (sockets and the lxc CLI's config).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kinds } from "pulumi-incus/provider";
import { cliConfigDir, resolveEndpoint, resolveLxdSocket } from "../../provider/client";
import { type ServerInfo, unmet } from "../../provider/engine/server";

const lxd: ServerInfo = { server: "lxd", version: "5.0.2", extensions: new Set(["network_forward", "projects"]) };
const incus: ServerInfo = {
  server: "incus",
  version: "6.0.4",
  extensions: new Set(["storage_buckets", "instance_ready_state", "instance_create_start", "certificate_description", "network_acl_stateless"]),
};
const need = (kind: keyof typeof kinds, server: ServerInfo, inputs: Record<string, unknown>) => {
  const k = kinds[kind] as { requires?: string[]; fieldRequires?: any; onServer?: (s: ServerInfo, i: any) => { property: string; reason: string } | undefined };
  return unmet(server, k.requires, k.fieldRequires, inputs) ?? k.onServer?.(server, inputs);
};

describe("requirements", () => {
  it("a kind LXD lacks is refused, naming the server and the API extension", () => {
    expect(need("StorageBucket", lxd, { name: "b", pool: "default" })).toEqual({
      property: "",
      reason: "LXD 5.0.2 has no storage buckets (API extension storage_buckets)",
    });
    expect(need("StorageBucketKey", lxd, { name: "k" })?.reason).toContain("API extension storage_buckets");
    expect(need("StorageBucket", incus, { name: "b" })).toBeUndefined();
  });

  it("a field is refused only when the program uses it", () => {
    expect(need("Instance", lxd, { name: "w", image: "x" })).toBeUndefined();
    expect(need("Instance", lxd, { name: "w", image: "x", waitFor: { running: {} } })).toBeUndefined();
    expect(need("Instance", lxd, { name: "w", image: "x", waitFor: { ready: { timeout: 5 } } })).toEqual({
      property: "waitFor.ready",
      reason: "waitFor.ready: LXD 5.0.2 has no guest Ready state (waits for `ready`) (API extension instance_ready_state)",
    });
    expect(need("Instance", incus, { name: "w", image: "x", waitFor: { ready: {} } })).toBeUndefined();
    expect(need("Certificate", lxd, { name: "c", description: "" })).toBeUndefined();
    expect(need("Certificate", lxd, { name: "c", description: "ci" })?.property).toBe("description");
    expect(need("NetworkAcl", lxd, { name: "a", ingress: [{ action: "allow" }] })).toBeUndefined();
    expect(need("NetworkAcl", lxd, { name: "a", egress: [{ action: "allow-stateless" }] })?.reason).toContain("API extension network_acl_stateless");
    expect(need("NetworkZone", lxd, { name: "z", project: "default" })).toBeUndefined();
    expect(need("NetworkZone", lxd, { name: "z", project: "lab" })?.reason).toBe(
      "project: LXD 5.0.2 has no network zones in projects (API extension projects_networks_zones)",
    );
  });

  it("the guest API key is the server's own: security.devlxd on LXD, security.guestapi on Incus", () => {
    for (const kind of ["Instance", "Profile"] as const) {
      expect(need(kind, lxd, { name: "w", image: "x", config: { "security.guestapi": "true" } })).toEqual({
        property: 'config["security.guestapi"]',
        reason: 'config["security.guestapi"]: LXD 5.0.2 names the guest API key `security.devlxd`',
      });
      expect(need(kind, lxd, { name: "w", image: "x", config: { "security.devlxd": "true" } })).toBeUndefined();
      expect(need(kind, incus, { name: "w", image: "x", config: { "security.devlxd.images": "true" } })?.reason).toBe(
        'config["security.devlxd.images"]: Incus 6.0.4 names the guest API key `security.guestapi.images`',
      );
    }
  });
});

describe("finding LXD", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pi-lxd-find-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const none = { snap: path.join(tmp, "no-snap", "unix.socket"), var: "/var/lib/lxd/unix.socket" };

  it("the socket, in the lxc CLI's order: explicit, LXD_SOCKET, LXD_DIR, the snap's, /var/lib/lxd", () => {
    expect(resolveLxdSocket("/x/y.socket", { LXD_SOCKET: "/a" }, none).socketPath).toBe("/x/y.socket");
    expect(resolveLxdSocket(undefined, { LXD_SOCKET: "/a.socket", LXD_DIR: "/d" }, none).socketPath).toBe("/a.socket");
    expect(resolveLxdSocket(undefined, { LXD_DIR: "/d" }, none).socketPath).toBe("/d/unix.socket");
    expect(resolveLxdSocket(undefined, {}, none).socketPath).toBe("/var/lib/lxd/unix.socket");
    fs.mkdirSync(path.join(tmp, "snap"));
    expect(resolveLxdSocket(undefined, {}, { ...none, snap: path.join(tmp, "snap", "unix.socket") }).socketPath).toBe(path.join(tmp, "snap", "unix.socket"));
  });

  it("the CLI config: LXD_CONF, else the snap's, else ~/.config/lxc (INCUS_* settings do not apply)", () => {
    const home = path.join(tmp, "home");
    fs.mkdirSync(home);
    expect(cliConfigDir({ HOME: home, LXD_CONF: "/conf" }, "lxd")).toBe("/conf");
    expect(cliConfigDir({ HOME: home, INCUS_CONF: "/inc" }, "lxd")).toBe(path.join(home, ".config", "lxc"));
    fs.mkdirSync(path.join(home, "snap", "lxd", "common", "config"), { recursive: true });
    expect(cliConfigDir({ HOME: home }, "lxd")).toBe(path.join(home, "snap", "lxd", "common", "config"));
  });

  it("`server: lxd`: local is LXD's socket, and remotes come from the lxc config", () => {
    const conf = path.join(tmp, "lxc");
    fs.mkdirSync(conf);
    fs.writeFileSync(
      path.join(conf, "config.yml"),
      ["default-remote: lab", "remotes:", "  lab:", "    addr: unix:///srv/lxd/unix.socket", "    protocol: lxd", "    project: web", ""].join("\n"),
    );
    const env = { HOME: tmp, LXD_CONF: conf, LXD_DIR: "/srv/other", INCUS_DIR: "/srv/incus" };
    expect(resolveEndpoint({ server: "lxd", env })).toEqual({ kind: "unix", socketPath: "/srv/lxd/unix.socket", defaultProject: "web" });
    expect(resolveEndpoint({ server: "lxd", remote: "local", env })).toEqual({ kind: "unix", socketPath: "/srv/other/unix.socket", defaultProject: "default" });
    expect(() => resolveEndpoint({ server: "lxd", remote: "nope", env })).toThrow(`LXD remote "nope" is not in ${path.join(conf, "config.yml")}`);
    // Without `server: lxd` the same environment is Incus's.
    expect(resolveEndpoint({ remote: "local", env }).kind === "unix" && (resolveEndpoint({ remote: "local", env }) as { socketPath: string }).socketPath).toBe(
      "/srv/incus/unix.socket",
    );
  });
});
