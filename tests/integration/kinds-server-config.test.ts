// ServerConfig against a private daemon (its own INCUS_DIR, started and stopped by the PID it records), so the
// shared daemon's /1.0 config is never touched. The daemon starts with two keys set by "someone else": one the
// program takes over (destroy must put its value back) and one it never names (must survive everything).
import * as https from "node:https";
import { engineFor } from "pulumi-incus/provider";
import { FaultDaemon } from "../faults/daemon";
import { closeConnections, rejection, requestLog, Resource } from "./kinds-harness";
import { freePort } from "../host";

const daemon = new FaultDaemon("kinds-server-config");
const log = requestLog();
const CLAIM = "user.pulumi-incus.server-config";
const config = (): Record<string, string> => daemon.query("/1.0")?.config ?? {};

beforeAll(async () => {
  await daemon.create({ bare: true });
  daemon.incus("config", "set", "images.auto_update_interval=12", "user.other=keep");
}, 120_000);
afterAll(async () => {
  log.restore();
  await closeConnections();
  await daemon.destroy();
}, 120_000);

describe("life cycle", () => {
  const s = new Resource("ServerConfig", { name: "server", socket: daemon.socket, config: { "images.auto_update_interval": 0, "user.team": "ops" } });

  it("create applies the program's keys in one PUT, leaves the others, and records what they were", async () => {
    log.take();
    const outs = await s.create();
    expect(log.takeWrites()).toEqual(["PUT /1.0"]);
    expect(s.id).toBe("/1.0");
    expect(config()).toEqual({ "images.auto_update_interval": "0", "user.team": "ops", "user.other": "keep", [CLAIM]: outs.claim });
    expect(outs.previousConfig).toEqual({ "images.auto_update_interval": "12", "user.team": null });
    expect(outs.claim).toMatch(/^server\//);
    expect(engineFor("ServerConfig").spec.secretOutputs).toEqual(["previousConfig"]);
  });

  it("changes and new keys go in place; a key someone else adds later is left alone", async () => {
    daemon.incus("config", "set", "user.late=hand");
    log.take();
    const next = { ...s.args, config: { "images.auto_update_interval": 0, "user.team": "dev", "core.remote_token_expiry": "1H" } };
    expect(await s.up(next)).toMatchObject({ changes: true });
    expect(log.takeWrites()).toEqual(["PUT /1.0"]);
    expect(config()).toMatchObject({ "user.team": "dev", "core.remote_token_expiry": "1H", "user.other": "keep", "user.late": "hand" });
    expect(s.state.previousConfig).toEqual({ "images.auto_update_interval": "12", "user.team": null, "core.remote_token_expiry": null });
    expect(await s.diff()).toMatchObject({ changes: false });
  });

  it("drift on a managed key shows in diff (others' keys do not) and up reverts it", async () => {
    daemon.incus("config", "set", "images.auto_update_interval=5", "user.late=changed");
    expect(await s.diff()).toMatchObject({ changes: true });
    expect(s.printed).toEqual(['ServerConfig "server": config["images.auto_update_interval"]: server has "5", program wants "0"']);
    await s.up();
    expect(config()).toMatchObject({ "images.auto_update_interval": "0", "user.late": "changed" });
  });

  it("refresh keeps the record of the previous values", async () => {
    const res = await s.read();
    expect(res.props).toMatchObject({ previousConfig: { "images.auto_update_interval": "12", "user.team": null, "core.remote_token_expiry": null } });
    expect(res.inputs?.config).toEqual({ "images.auto_update_interval": "0", "user.team": "dev", "core.remote_token_expiry": "1H" });
  });

  it("a key the program drops goes back to what it had before the stack took it over (unset if nothing)", async () => {
    expect(await s.diff({ ...s.args, config: { "core.remote_token_expiry": "1H" } })).toMatchObject({ changes: true });
    expect(s.printed.sort()).toEqual([
      'ServerConfig "server": config["images.auto_update_interval"]: dropped from the program; goes back to its earlier value "12" (server has "0")',
      'ServerConfig "server": config["user.team"]: server has "dev", program wants unset',
    ]);
    log.take();
    expect(await s.up({ ...s.args, config: { "core.remote_token_expiry": "1H" } })).toMatchObject({ changes: true });
    expect(log.takeWrites()).toEqual(["PUT /1.0"]);
    expect(config()["images.auto_update_interval"]).toBe("12");
    expect(config()["user.team"]).toBeUndefined();
    // Given back: no longer the stack's, so neither a later up nor destroy touches them.
    expect(s.state.previousConfig).toEqual({ "core.remote_token_expiry": null });
    expect(config()).toMatchObject({ "user.other": "keep", "user.late": "changed" });
    expect(await s.diff()).toMatchObject({ changes: false });
    expect(await s.up()).toMatchObject({ changes: false });
    expect(log.takeWrites()).toEqual([]);
  });

  it("a second ServerConfig for the same server fails clearly and changes nothing", async () => {
    const before = config();
    const other = new Resource("ServerConfig", { name: "again", socket: daemon.socket, config: { "user.team": "x" } });
    const err = await rejection(other.create());
    expect(err.message).toMatch(/ServerConfig "again": the server's config is already managed by ServerConfig "server"/);
    expect(err.message).toMatch(/declare one ServerConfig per server/);
    expect(config()).toEqual(before);
  });

  it("destroy puts back what each managed key was and releases the claim; others' keys stay", async () => {
    log.take();
    await s.delete();
    expect(log.takeWrites()).toEqual(["PUT /1.0"]);
    expect(config()).toEqual({ "images.auto_update_interval": "12", "user.other": "keep", "user.late": "changed" });
  });
});

describe("bad input", () => {
  it("an unknown key is named at check, before any request", async () => {
    log.take();
    const res = await engineFor("ServerConfig").check({}, { name: "server", socket: daemon.socket, config: { "core.https_adress": "127.0.0.1:8443" } });
    expect(res.failures).toEqual([
      { property: 'config["core.https_adress"]', reason: expect.stringMatching(/^config\["core.https_adress"\]: not a server config key of Incus 6.0/) },
    ]);
    expect(log.take()).toEqual([]);
  });
});

function getOverTls(port: number, cert: string, key: string): Promise<{ auth: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/1.0", cert, key, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(JSON.parse(body).metadata));
    });
    req.on("error", reject);
  });
}

describe("the two kinds together", () => {
  it("a generated certificate authenticates over the HTTPS listener a ServerConfig opens (loopback only)", async () => {
    const port = await freePort();
    const s = new Resource("ServerConfig", { name: "listener", socket: daemon.socket, config: { "core.https_address": `127.0.0.1:${port}` } });
    const c = new Resource("Certificate", { name: "tls-client", socket: daemon.socket });
    try {
      await s.create();
      const outs = await c.create();
      expect((await getOverTls(port, outs.certificate as string, outs.privateKey as string)).auth).toBe("trusted");
    } finally {
      if (c.id) await c.delete();
      if (s.id) await s.delete();
    }
    expect(config()["core.https_address"]).toBeUndefined();
    expect(daemon.query("/1.0/certificates")).toEqual([]);
  });
});
