// Bad input at scale through the real engine: a 30-resource stack whose connection settings are broken (unknown or
// malformed remotes, unreadable config.yml, certificates and keys that are not PEM) or that holds one bad name or value
// among good resources. Each `pulumi up --yes` (which previews first, as users run it) stops with an error that names
// the setting or field, and nothing is written to Incus. Runs against a dedicated daemon (daemon.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FaultDaemon, TEST_IMAGE_ALIAS, RUN } from "./daemon";
import { type Declared, FaultStack } from "./stack";

jest.setTimeout(600_000);

const daemon = new FaultDaemon("bad-input");
const P = `badinput-${RUN}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pi-faults-bad-"));

function good(n = 10): Declared[] {
  const out: Declared[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ kind: "Profile", name: `p${i}`, args: { project: P, name: `p${i}`, config: { "user.n": i } } });
    out.push({ kind: "StorageVolume", name: `v${i}`, args: { project: P, name: `v${i}`, pool: "default" } });
    out.push({ kind: "Instance", name: `i${i}`, args: { project: P, name: `i${i}`, image: TEST_IMAGE_ALIAS, running: false } });
  }
  return out;
}

/** A CLI config dir with these files (relative path → content). */
function configDir(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const httpsRemote = (addr = "https://127.0.0.1:1") => `default-remote: far\nremotes:\n  far:\n    addr: ${addr}\n    protocol: incus\n`;
const NOT_PEM = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";

/** [case, stack config, resources, text the error must contain] */
type Case = [string, Record<string, string>, Declared[], RegExp];
const cases: Case[] = [
  ["unknown remote", { "incus:remote": "nosuch", "incus:configDir": configDir("empty", {}) }, good(), /remote: Incus remote "nosuch" is not in .*config\.yml/],
  ["config.yml that is not YAML", { "incus:configDir": configDir("yaml", { "config.yml": "remotes: [unclosed\n  : :" }) }, good(), /remote: .*config\.yml: /],
  ["config.yml of the wrong shape", { "incus:configDir": configDir("shape", { "config.yml": "remotes: 42\n" }) }, good(), /remote: .*config\.yml: remotes: /],
  [
    "an image server as remote",
    { "incus:remote": "images", "incus:configDir": configDir("images", {}) },
    good(),
    /remote: Incus remote "images" .* is an image server/,
  ],
  [
    "a remote address with no host",
    { "incus:configDir": configDir("nohost", { "config.yml": httpsRemote("https://") }) },
    good(),
    /remote: remote "far": "https:" is not an https:\/\/host:port address/,
  ],
  [
    "a client certificate that is not PEM",
    { "incus:configDir": configDir("cert", { "config.yml": httpsRemote(), "client.crt": NOT_PEM, "client.key": NOT_PEM }) },
    good(),
    /remote: remote "far": the client certificate \(client\.crt\) is not valid PEM/,
  ],
  [
    "a pinned server certificate that is not PEM",
    { "incus:configDir": configDir("servercert", { "config.yml": httpsRemote(), "servercerts/far.crt": "garbage" }) },
    good(),
    /remote: remote "far": the pinned server certificate \(servercerts\/\) is not valid PEM/,
  ],
  [
    "one bad instance name among 30",
    {},
    [...good(), { kind: "Instance", name: "bad", args: { project: P, name: "-bad", image: TEST_IMAGE_ALIAS } }],
    /property name value .* has a problem: name: must be a DNS label/,
  ],
  [
    "one bad config value among 30",
    {},
    [...good(), { kind: "Profile", name: "bad", args: { project: P, name: "bad", config: { "limits.cpu": { n: 1 } } } }],
    /config\["limits\.cpu"\]: must be a string, number or boolean/,
  ],
  [
    "one misspelt field among 30",
    {},
    [...good(), { kind: "StorageVolume", name: "bad", args: { project: P, name: "bad", pool: "default", contentTyp: "block" } }],
    /contentTyp: StorageVolume has no such field \(did you mean `contentType`\?\)/,
  ],
];

const stacks: FaultStack[] = [];

beforeAll(async () => {
  await daemon.create();
  daemon.incus("project", "create", P, "-c", "features.images=false", "-c", "features.profiles=true", "-c", "features.storage.volumes=true");
  daemon.incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", P);
});

afterAll(async () => {
  await Promise.all(stacks.map((s) => s.remove()));
  fs.rmSync(tmp, { recursive: true, force: true });
  await daemon.destroy();
});

// Three stacks at a time: each case is its own engine run.
const groups = Array.from({ length: Math.ceil(cases.length / 3) }, (_, i) => cases.slice(i * 3, i * 3 + 3));

test.each(groups.map((g, i) => [i, g] as const))("group %i: a clear error naming the setting or field, and nothing written", async (_i, group) => {
  await Promise.all(
    group.map(async ([what, config, resources, message]) => {
      // Cases about connection settings get no socket: the stack must reach Incus through those settings.
      const s = await FaultStack.create(Object.keys(config).length ? undefined : daemon.socket, config);
      stacks.push(s);
      await s.declare(resources);
      const up = await s.run("up", "--with-preview");
      expect([what, up.code === 0]).toEqual([what, false]);
      expect([what, up.output]).toEqual([what, expect.stringMatching(message)]);
      expect([what, s.writes()]).toEqual([what, []]);
      expect((await s.state()).resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/incus:"))).toEqual([]);
    }),
  );
  // Nothing reached the daemon either: the project holds none of the declared objects.
  expect(daemon.query<string[]>(`/1.0/instances?project=${P}`)).toEqual([]);
  expect(daemon.query<string[]>(`/1.0/storage-pools/default/volumes/custom?project=${P}`)).toEqual([]);
});
