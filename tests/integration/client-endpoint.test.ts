// Where the client connects: the CLI's socket lookup, config.yml remotes, client certificates, trust tokens.
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import {
  certificateBase64Der,
  certificateFingerprint,
  closeAllPools,
  decodeTrustToken,
  ensureClientCertificate,
  filterExpression,
  generateClientCertificate,
  IncusClient,
  IncusError,
  loadCliConfig,
  resolveEndpoint,
  resolveUnixEndpoint,
  saveCliRemote,
} from "../../provider/client";
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
  const pair = generateClientCertificate({ commonName: "config-test" });
  const serverPem = fs.readFileSync("/var/lib/incus/server.crt", "utf8");

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
    const other = generateClientCertificate();
    const ep = resolveEndpoint({ remote: "https://10.1.2.3:8443/", configDir: dir, clientCert: other.cert, clientKey: other.key, env: {} });
    expect(ep).toMatchObject({ kind: "https", url: "https://10.1.2.3:8443", clientCert: other.cert, serverCert: undefined });
  });

  test("unknown remotes and image servers are refused with a clear message", () => {
    const dir = configDir(YAML);
    expect(() => resolveEndpoint({ configDir: dir, remote: "nope", env: {} })).toThrow(
      `Incus remote "nope" is not in ${path.join(dir, "config.yml")}`,
    );
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

  test("saveCliRemote adds a remote and pins its certificate, keeping everything else in the file", () => {
    const dir = configDir(`# my remotes\n${YAML}aliases:\n  ll: list\n`);
    saveCliRemote(dir, "added", { addr: "https://127.0.0.9:8443", project: "p9" }, serverPem);
    const text = fs.readFileSync(path.join(dir, "config.yml"), "utf8");
    expect(text).toContain("# my remotes");
    expect(text).toContain("ll: list");
    const config = loadCliConfig(dir, {});
    expect(config.remotes.added).toEqual({ addr: "https://127.0.0.9:8443", project: "p9", protocol: "incus", public: false });
    expect(config.remotes.lab.addr).toBe("https://127.0.0.1:8443");
    expect(fs.readFileSync(path.join(dir, "servercerts", "added.crt"), "utf8")).toBe(serverPem);
  });
});

describe("client certificates and tokens", () => {
  test("generateClientCertificate makes a self-signed EC P-384 client certificate that matches its key", () => {
    const { cert, key } = generateClientCertificate({ commonName: "unit@test", validDays: 30 });
    const x509 = new X509Certificate(cert);
    expect(x509.subject).toBe("O=pulumi-incus\nCN=unit@test");
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe("secp384r1");
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x509.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
    expect(x509.ca).toBe(false);
    const days = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(key).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(certificateFingerprint(cert)).toBe(x509.fingerprint256.replace(/:/g, "").toLowerCase());
    expect(Buffer.from(certificateBase64Der(cert), "base64").equals(x509.raw)).toBe(true);
  });

  test("ensureClientCertificate generates once (key mode 0600) and reuses the pair afterwards", () => {
    const dir = path.join(tempDir("certs"), "nested", "incus");
    const first = ensureClientCertificate(dir);
    expect(first.generated).toBe(true);
    expect(fs.statSync(path.join(dir, "client.key")).mode & 0o777).toBe(0o600);
    const second = ensureClientCertificate(dir);
    expect(second).toEqual({ cert: first.cert, key: first.key, generated: false });
    fs.unlinkSync(path.join(dir, "client.key"));
    expect(() => ensureClientCertificate(dir)).toThrow(/only one of client.crt and client.key/);
  });

  test("decodeTrustToken reads the CLI's token format and refuses junk and expired tokens", () => {
    const body = { client_name: "c", fingerprint: "ab", addresses: ["127.0.0.1:8443"], secret: "s", expires_at: "0001-01-01T00:00:00Z" };
    const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64");
    expect(decodeTrustToken(encode(body))).toEqual(body);
    expect(() => decodeTrustToken("not a token")).toThrow(/not an Incus trust token/);
    expect(() => decodeTrustToken(encode({ ...body, secret: undefined }))).toThrow(/secret is missing/);
    expect(() => decodeTrustToken(encode({ ...body, expires_at: "2001-01-01T00:00:00Z" }))).toThrow(/expired/);
  });

  test("filterExpression asks for exact, case-sensitive equality", () => {
    expect(filterExpression({ name: "web.1", "config.user.x": "a b", ephemeral: false })).toBe(
      'name eq ^(?-i:web\\.1)$ and config.user.x eq "^(?-i:a b)$" and ephemeral eq false',
    );
  });
});
