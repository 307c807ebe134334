// Where the client connects: the CLI's socket lookup, config.yml remotes and their client certificates.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { closeAllPools, filterExpression, IncusClient, IncusError, loadCliConfig, resolveEndpoint, resolveUnixEndpoint } from "../../provider/client";
import { type ClientCertificate, generateClientCertificate } from "../certs";
import { tempDir } from "./client-helpers";

const REAL_SOCKET = "/var/lib/incus/unix.socket";

afterAll(() => closeAllPools());

function touch(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "");
  return file;
}

describe("unix socket resolution (the CLI's order)", () => {
  let dir: string;
  let system: { run: string; var: string };
  beforeEach(() => {
    dir = tempDir("sock");
    system = { run: path.join(dir, "run/unix.socket"), var: touch(path.join(dir, "var/unix.socket")) };
  });

  test("an explicit path wins over INCUS_SOCKET and INCUS_DIR", () => {
    const env = { INCUS_SOCKET: "/nope/a", INCUS_DIR: "/nope" };
    expect(resolveUnixEndpoint("/x/explicit.socket", env, 0, system)).toEqual({
      kind: "unix",
      socketPath: "/x/explicit.socket",
      defaultProject: "default",
    });
  });

  test("INCUS_SOCKET is taken as is, even when it does not exist, and wins over INCUS_DIR", () => {
    const ep = resolveUnixEndpoint(undefined, { INCUS_SOCKET: "/nope/missing.socket", INCUS_DIR: dir }, 0, system);
    expect(ep.socketPath).toBe("/nope/missing.socket");
    expect(ep.defaultProject).toBe("default");
  });

  test("INCUS_DIR/unix.socket", () => {
    const sock = touch(path.join(dir, "incusdir/unix.socket"));
    expect(resolveUnixEndpoint(undefined, { INCUS_DIR: path.dirname(sock) }, 0, system).socketPath).toBe(sock);
  });

  test("/run/incus/unix.socket only when it exists, else /var/lib/incus/unix.socket", () => {
    expect(resolveUnixEndpoint(undefined, {}, 0, system).socketPath).toBe(system.var);
    touch(system.run);
    expect(resolveUnixEndpoint(undefined, {}, 0, system).socketPath).toBe(system.run);
  });

  test("the unix.socket.user fallback, with project user-<uid>, only when the main socket is not usable", () => {
    const incusDir = path.join(dir, "userdir");
    const userSocket = touch(path.join(incusDir, "unix.socket.user"));
    expect(resolveUnixEndpoint(undefined, { INCUS_DIR: incusDir }, 1234, system)).toEqual({
      kind: "unix",
      socketPath: userSocket,
      defaultProject: "user-1234",
    });
    const mainSocket = touch(path.join(incusDir, "unix.socket"));
    expect(resolveUnixEndpoint(undefined, { INCUS_DIR: incusDir }, 1234, system)).toEqual({
      kind: "unix",
      socketPath: mainSocket,
      defaultProject: "default",
    });
    // An explicit INCUS_SOCKET never falls back.
    expect(resolveUnixEndpoint(undefined, { INCUS_SOCKET: path.join(dir, "gone") }, 1234, system).defaultProject).toBe("default");
  });

  test("a socket with no daemon behind it is reported as unreachable, with the way out", async () => {
    const ep = resolveUnixEndpoint(undefined, { INCUS_DIR: dir }, 0, system);
    const err = (await new IncusClient(ep).server().catch((e) => e)) as IncusError;
    expect(err).toBeInstanceOf(IncusError);
    expect(err.isUnreachable).toBe(true);
    expect(err.message).toBe(
      `GET /1.0: cannot reach Incus at socket ${dir}/unix.socket: connect ENOENT ${dir}/unix.socket. ` +
        "The Incus daemon does not appear to be running there (INCUS_SOCKET or INCUS_DIR choose another socket)",
    );
  });

  test("a real listening socket found through INCUS_DIR carries the requests", async () => {
    const incusDir = tempDir("incusdir");
    let connections = 0;
    // A byte-for-byte relay to the daemon: if the client used any other socket, it would not count here.
    const relay = net.createServer((downstream) => {
      connections++;
      const upstream = net.connect(REAL_SOCKET);
      downstream.pipe(upstream).pipe(downstream);
      const end = () => {
        downstream.destroy();
        upstream.destroy();
      };
      downstream.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
    await new Promise<void>((resolve) => relay.listen(path.join(incusDir, "unix.socket"), resolve));
    try {
      const endpoint = resolveEndpoint({ env: { INCUS_DIR: incusDir, INCUS_CONF: tempDir("conf") } });
      expect(endpoint).toEqual({ kind: "unix", socketPath: path.join(incusDir, "unix.socket"), defaultProject: "default" });
      const server = await new IncusClient(endpoint).server();
      expect(server.api_version).toBe("1.0");
      expect(server.auth).toBe("trusted");
      expect(connections).toBeGreaterThan(0);
    } finally {
      await closeAllPools();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});

describe("remotes from the CLI's config.yml", () => {
  let pair: ClientCertificate;
  let other: ClientCertificate;
  const serverPem = fs.readFileSync("/var/lib/incus/server.crt", "utf8");
  beforeAll(async () => {
    [pair, other] = await Promise.all([generateClientCertificate({ commonName: "config-test" }), generateClientCertificate()]);
  });

  function configDir(yaml: string): string {
    const dir = tempDir("incusconf");
    fs.writeFileSync(path.join(dir, "config.yml"), yaml);
    fs.writeFileSync(path.join(dir, "client.crt"), pair.cert);
    fs.writeFileSync(path.join(dir, "client.key"), pair.key);
    fs.mkdirSync(path.join(dir, "servercerts"));
    fs.writeFileSync(path.join(dir, "servercerts", "lab.crt"), serverPem);
    return dir;
  }

  const YAML = [
    "default-remote: lab",
    "remotes:",
    "  lab:",
    "    addr: https://127.0.0.1:8443",
    "    project: team-a",
    "    protocol: incus",
    "    public: false",
    "  sock:",
    "    addr: unix:///tmp/elsewhere/unix.socket",
    "    protocol: incus",
    "  images:",
    "    addr: https://images.linuxcontainers.org",
    "    protocol: simplestreams",
    "    public: true",
    "  local:",
    "    addr: unix://",
    "    project: mine",
    "",
  ].join("\n");

  test("default-remote picks an HTTPS remote with the client certificate and its pinned server certificate", () => {
    const dir = configDir(YAML);
    const ep = resolveEndpoint({ configDir: dir, env: {} });
    expect(ep).toEqual({
      kind: "https",
      url: "https://127.0.0.1:8443",
      clientCert: pair.cert,
      clientKey: pair.key,
      serverCert: serverPem,
      ca: undefined,
      defaultProject: "team-a",
      remote: "lab",
    });
  });

  test("INCUS_CONF locates the config; INCUS_REMOTE overrides default-remote; local keeps its project", () => {
    const dir = configDir(YAML);
    const ep = resolveEndpoint({ env: { INCUS_CONF: dir, INCUS_REMOTE: "local", INCUS_SOCKET: "/tmp/s.sock" } });
    expect(ep).toEqual({ kind: "unix", socketPath: "/tmp/s.sock", defaultProject: "mine" });
  });

  test("project precedence: explicit setting, then INCUS_PROJECT, then the remote's project", () => {
    const dir = configDir(YAML);
    expect(resolveEndpoint({ configDir: dir, env: { INCUS_PROJECT: "env-p" } }).defaultProject).toBe("env-p");
    expect(resolveEndpoint({ configDir: dir, project: "set-p", env: { INCUS_PROJECT: "env-p" } }).defaultProject).toBe("set-p");
  });

  test("unix: addresses, explicit sockets and explicit PEM settings", () => {
    const dir = configDir(YAML);
    expect(resolveEndpoint({ configDir: dir, remote: "sock", env: {} })).toMatchObject({
      kind: "unix",
      socketPath: "/tmp/elsewhere/unix.socket",
    });
    expect(resolveEndpoint({ remote: "unix:/run/x.socket", env: {} })).toMatchObject({ socketPath: "/run/x.socket" });
    expect(resolveEndpoint({ socket: "/run/y.socket", remote: "lab", configDir: dir, env: {} })).toMatchObject({
      kind: "unix",
      socketPath: "/run/y.socket",
    });
    const ep = resolveEndpoint({ remote: "https://10.1.2.3:8443/", configDir: dir, clientCert: other.cert, clientKey: other.key, env: {} });
    expect(ep).toMatchObject({ kind: "https", url: "https://10.1.2.3:8443", clientCert: other.cert, serverCert: undefined });
  });

  test("unknown remotes and image servers are refused with a clear message", () => {
    const dir = configDir(YAML);
    expect(() => resolveEndpoint({ configDir: dir, remote: "nope", env: {} })).toThrow(`Incus remote "nope" is not in ${path.join(dir, "config.yml")}`);
    expect(() => resolveEndpoint({ configDir: dir, remote: "images", env: {} })).toThrow(/image server/);
  });

  test("no config at all means the local socket; a broken config.yml names the file", () => {
    const empty = tempDir("noconf");
    expect(resolveEndpoint({ configDir: empty, env: { INCUS_SOCKET: "/tmp/z.socket" } })).toEqual({
      kind: "unix",
      socketPath: "/tmp/z.socket",
      defaultProject: "default",
    });
    fs.writeFileSync(path.join(empty, "config.yml"), "remotes:\n  bad:\n    protocol: incus\n");
    expect(() => loadCliConfig(empty, {})).toThrow(/config\.yml: remotes\.bad\.addr/);
  });

  test("system-wide remotes (INCUS_GLOBAL_CONF) fill in, with their server certificates from the global dir", () => {
    const user = configDir(YAML);
    const global = tempDir("globalconf");
    fs.writeFileSync(path.join(global, "config.yml"), "remotes:\n  shared:\n    addr: https://127.0.0.2:8443\n    protocol: incus\n");
    fs.mkdirSync(path.join(global, "servercerts"));
    fs.writeFileSync(path.join(global, "servercerts", "shared.crt"), serverPem);
    const ep = resolveEndpoint({ configDir: user, remote: "shared", env: { INCUS_GLOBAL_CONF: global } });
    expect(ep).toMatchObject({ kind: "https", url: "https://127.0.0.2:8443", serverCert: serverPem, clientCert: pair.cert });
  });
});

describe("filters", () => {
  test("filterExpression asks for exact, case-sensitive equality", () => {
    expect(filterExpression({ name: "web.1", "config.user.x": "a b", ephemeral: false })).toBe(
      'name eq ^(?-i:web\\.1)$ and config.user.x eq "^(?-i:a b)$" and ephemeral eq false',
    );
  });
});
