// A stack that talks to Incus over HTTPS through a remote of the incus CLI's config (incus:remote and
// incus:configDir), with mutual TLS and a pinned server certificate; and an image copied from an image server
// (the same daemon, serving a public image over the Incus protocol on 127.0.0.1).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closeAllPools, deleteProjectAndContents, IncusClient } from "pulumi-incus/provider";
import { certificateBase64Der, certificateFingerprint, type ClientCertificate, generateClientCertificate } from "../certs";
import { httpsListener, type HttpsListener } from "../https-listener";
import { incusJson, marked, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const s = uniqueSuffix().slice(-8);
const local = new IncusClient();
let cert: ClientCertificate;
const source = `pir-src-${s}`; // project holding the public image that is served
const target = `pir-dst-${s}`; // project the stack copies it into
const TARBALL = path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");
let listener: HttpsListener;
let configDir: string;
let t: TestStack;

beforeAll(async () => {
  cert = await generateClientCertificate({ commonName: `pulumi-incus-e2e-${s}` });
  listener = await httpsListener(local);
  await local.post("/1.0/certificates", { name: `e2e-${s}`, type: "client", certificate: certificateBase64Der(cert.cert) }, { project: null });
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), "pir-conf-"));
  fs.writeFileSync(path.join(configDir, "config.yml"), `default-remote: local\nremotes:\n  lab-https:\n    addr: ${listener.url}\n    protocol: incus\n`);
  fs.writeFileSync(path.join(configDir, "client.crt"), cert.cert);
  fs.writeFileSync(path.join(configDir, "client.key"), cert.key, { mode: 0o600 });
  fs.mkdirSync(path.join(configDir, "servercerts"));
  fs.writeFileSync(path.join(configDir, "servercerts", "lab-https.crt"), listener.serverCert);
  for (const p of [source, target]) await local.post("/1.0/projects", { name: p, config: { "features.images": "true" } }, { project: null });
  await local.upload("/1.0/images", TARBALL, { project: source, headers: { "X-Incus-public": "true", "X-Incus-aliases": "alias=served" } });
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), {
    "incus:remote": "lab-https",
    "incus:configDir": configDir,
  });
});

afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  for (const p of [target, source]) await deleteProjectAndContents(local, p).catch(() => undefined);
  await local.delete(`/1.0/certificates/${certificateFingerprint(cert.cert)}`, { project: null }).catch(() => undefined);
  await listener?.release();
  fs.rmSync(configDir, { recursive: true, force: true });
  await closeAllPools();
});

test("resources reach Incus over HTTPS with the CLI's remote, and an image is copied from an image server", async () => {
  const served = incusJson(`/1.0/images/aliases/served?project=${source}`).target;
  await t.stack.setConfig("resources", {
    value: JSON.stringify([
      { kind: "Profile", name: "prof", args: { project: target, name: `prof-${s}`, config: { "user.via": "https" } } },
      {
        kind: "Image",
        name: "copied",
        args: {
          project: target,
          source: { server: listener.url, protocol: "incus", alias: "served", project: source, certificate: listener.serverCert },
          aliases: ["copied"],
        },
      },
    ]),
  });
  t.takeRequests();
  // Who made the profile, as the daemon saw it: the lifecycle event names the requestor.
  const events: { metadata?: { action?: string; requestor?: { protocol?: string; username?: string } } }[] = [];
  const unsubscribe = local.subscribe({ types: ["lifecycle"], project: target }, (e) => events.push(e as never));
  await unsubscribe.ready;
  const up = await t.stack.up();
  unsubscribe();
  expect(up.summary.resourceChanges?.create).toBe(4); // the stack, its identity, profile, image
  const created = events.find((e) => e.metadata?.action === "profile-created");
  expect(created?.metadata?.requestor).toMatchObject({ protocol: "tls", username: certificateFingerprint(cert.cert) });
  const profile = incusJson(`/1.0/profiles/prof-${s}?project=${target}`);
  expect(profile.config).toEqual(marked({ "user.via": "https" }));
  const copied = incusJson(`/1.0/images/aliases/copied?project=${target}`);
  expect(copied.target).toBe(served);
  const exported = await t.stack.exportStack();
  const image = exported.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/incus:Image");
  expect(image.outputs.fingerprint).toBe(served);
  t.takeRequests();

  const again = await t.stack.up();
  expect(again.summary.resourceChanges).toEqual({ same: 4 });
  expect(t.writes(t.takeRequests())).toEqual([]);

  await t.stack.destroy();
  expect(incusJson(`/1.0/profiles/prof-${s}?project=${target}`)).toBeNull();
  expect(incusJson(`/1.0/images/${served}?project=${target}`)).toBeNull();
  expect(incusJson(`/1.0/images/${served}?project=${source}`)).not.toBeNull(); // the source is untouched
});
