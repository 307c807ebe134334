// Certificate CRUD against the shared daemon's trust store. Every entry here has a name with a random suffix and is
// removed in afterAll (the trust store is server-wide): nothing else in the store is touched.
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { engineFor } from "pulumi-incus/provider";
import { opensslCertificate } from "../certs";
import { closeConnections, incus, query, queryWrite, rand, rejection, requestLog, Resource } from "./kinds-harness";

const prefix = `pit-cert-${rand()}`;
const log = requestLog();
const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
const entry = (fp: string) => query(`/1.0/certificates/${fp}`);

/** Every trust store entry this suite made (by name), for the clean-up. */
function ours(): string[] {
  return (query<{ name: string; fingerprint: string }[]>("/1.0/certificates?recursion=1") ?? [])
    .filter((c) => c.name.startsWith(prefix))
    .map((c) => c.fingerprint);
}

afterAll(async () => {
  log.restore();
  await closeConnections();
  for (const fp of ours()) queryWrite("DELETE", `/1.0/certificates/${fp}`);
  expect(ours()).toEqual([]);
});

describe("a certificate the program gives", () => {
  const pem = opensslCertificate("given", 30).certificate;
  const FP = fingerprintOf(pem);
  const c = new Resource("Certificate", { name: `${prefix}-given`, certificate: pem, description: "ci runner" });

  it("create posts it (base64 DER) and the fingerprint is known before", async () => {
    const inputs = await c.check();
    expect(inputs.fingerprint).toBe(FP);
    log.take();
    const outs = await c.create();
    expect(log.takeWrites()).toEqual(["POST /1.0/certificates"]);
    expect(c.id).toBe(`/1.0/certificates/${FP}`);
    expect(outs).toMatchObject({ fingerprint: FP, privateKey: null, name: `${prefix}-given` });
    expect(fingerprintOf(outs.certificate as string)).toBe(FP);
    expect(entry(FP)).toMatchObject({ name: `${prefix}-given`, type: "client", restricted: false, projects: [], description: "ci runner" });
  });

  it("name, description, restricted and projects change in place by one PUT", async () => {
    log.take();
    const next = { ...c.args, name: `${prefix}-renamed`, description: "ci", restricted: true, projects: ["default"] };
    expect(await c.up(next)).toEqual({ changes: true });
    expect(log.takeWrites()).toEqual([`PUT /1.0/certificates/${FP}`]);
    expect(entry(FP)).toMatchObject({ name: `${prefix}-renamed`, type: "client", restricted: true, projects: ["default"], description: "ci" });
    expect(c.id).toBe(`/1.0/certificates/${FP}`);
  });

  it("projects are a set: the program's order does not matter", async () => {
    const project = `${prefix}-p`;
    queryWrite("POST", "/1.0/projects", { name: project, config: {} });
    try {
      await c.up({ ...c.args, projects: [project, "default"] });
      expect(entry(FP).projects).toEqual(["default", project]);
      log.take();
      expect(await c.up({ ...c.args, projects: ["default", project, project] })).toEqual({ changes: false });
      expect(log.takeWrites()).toEqual([]);
      await c.up({ ...c.args, projects: ["default"] });
    } finally {
      queryWrite("DELETE", `/1.0/projects/${project}`);
    }
  });

  it("fields the program drops go back to Incus's unset values", async () => {
    await c.up({ name: `${prefix}-renamed`, certificate: pem });
    expect(entry(FP)).toMatchObject({ restricted: false, projects: [], description: "" });
    expect(await c.diff()).toEqual({ changes: false });
  });

  it("drift made by hand shows in diff and up reverts it", async () => {
    await c.up({ ...c.args, description: "managed", restricted: false });
    const live = entry(FP);
    queryWrite("PUT", `/1.0/certificates/${FP}`, { ...live, description: "by hand", restricted: true, projects: ["default"] });
    expect(await c.diff()).toEqual({ changes: true });
    expect(c.printed.join("\n")).toMatch(/description: server has "by hand", program wants "managed"/);
    expect(c.printed.join("\n")).toMatch(/restricted: server has true, program wants false/);
    // projects was dropped by the program earlier: no longer its business, so not shown.
    expect(c.printed).toHaveLength(2);
    await c.up();
    expect(entry(FP)).toMatchObject({ description: "managed", restricted: false, projects: ["default"] });
  });

  it("refresh reads the entry back", async () => {
    const res = await c.read();
    expect(res.props).toMatchObject({ fingerprint: FP, name: `${prefix}-renamed`, description: "managed" });
  });

  it("a change of type replaces the entry (Incus cannot change it)", async () => {
    const diff = await c.diff({ ...c.args, type: "metrics" });
    expect(diff).toMatchObject({ changes: true, replaces: ["type"] });
  });

  it("another certificate replaces the entry under its new fingerprint", async () => {
    const other = opensslCertificate("other", 30).certificate;
    const diff = await c.up({ ...c.args, certificate: other });
    expect(diff).toMatchObject({ changes: true, replaces: ["fingerprint"] });
    expect(entry(FP)).toBeUndefined();
    expect(c.id).toBe(`/1.0/certificates/${fingerprintOf(other)}`);
    expect(entry(fingerprintOf(other))).toMatchObject({ name: `${prefix}-renamed`, description: "managed" });
  });

  it("delete removes the entry", async () => {
    const fp = c.state.fingerprint as string;
    await c.delete();
    expect(entry(fp)).toBeUndefined();
  });
});

describe("a certificate the provider generates", () => {
  const c = new Resource("Certificate", { name: `${prefix}-gen`, type: "client", validDays: 7 });

  it("create makes a key pair; the key is an output and matches the trusted certificate", async () => {
    const outs = await c.create();
    const key = outs.privateKey as string;
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const cert = new X509Certificate(outs.certificate as string);
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain(`CN=${prefix}-gen`);
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // extended key usage: TLS client authentication
    expect(cert.ca).toBe(false);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(c.id).toBe(`/1.0/certificates/${outs.fingerprint}`);
    expect(entry(outs.fingerprint as string)).toMatchObject({ name: `${prefix}-gen`, type: "client" });
    // The secret output is declared so the SDK marks it secret (additionalSecretOutputs).
    expect(engineFor("Certificate").spec.secretOutputs).toEqual(["privateKey"]);
  });

  it("the key survives a second up (no write), an update and a refresh, and is never printed", async () => {
    const key = c.state.privateKey as string;
    log.take();
    expect(await c.up()).toEqual({ changes: false });
    expect(log.takeWrites()).toEqual([]);
    await c.up({ ...c.args, description: "rotated later" });
    expect(c.state.privateKey).toBe(key);
    queryWrite("PUT", `/1.0/certificates/${c.state.fingerprint}`, { ...entry(c.state.fingerprint as string), description: "drift" });
    await c.read();
    expect(c.state.privateKey).toBe(key);
    expect(await c.diff()).toEqual({ changes: true });
    expect(c.printed.join("\n")).not.toContain(key.split("\n")[1]);
    await c.up();
    expect(entry(c.state.fingerprint as string).description).toBe("rotated later");
  });

  it("deleted behind the stack's back: the next up makes a new one (a new key)", async () => {
    const old = c.state.fingerprint as string;
    queryWrite("DELETE", `/1.0/certificates/${old}`);
    const diff = await c.up();
    expect(diff).toMatchObject({ changes: true, replaces: ["name"] });
    expect(c.state.fingerprint).not.toBe(old);
    expect(entry(c.state.fingerprint as string)).toMatchObject({ name: `${prefix}-gen`, description: "rotated later" });
  });

  it("delete removes it", async () => {
    const fp = c.state.fingerprint as string;
    await c.delete();
    expect(entry(fp)).toBeUndefined();
  });
});

describe("adopt", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "pi-cert-"));
  const pem = opensslCertificate("adopt", 30).certificate;
  const FP = fingerprintOf(pem);
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("a certificate trusted by hand is refused without adopt, then taken over with it", async () => {
    const file = path.join(scratch, "adopt.crt");
    fs.writeFileSync(file, pem);
    incus("config", "trust", "add-certificate", file, "--name", `${prefix}-hand`);
    const plain = new Resource("Certificate", { name: `${prefix}-adopted`, certificate: pem });
    const err = await rejection(plain.create());
    expect(err.message).toMatch(/already exists; set `adopt: true`/);
    const c = new Resource("Certificate", { name: `${prefix}-adopted`, certificate: pem, description: "adopted", adopt: true });
    log.take();
    await c.create();
    expect(log.takeWrites()).toEqual([`PUT /1.0/certificates/${FP}`]);
    expect(entry(FP)).toMatchObject({ name: `${prefix}-adopted`, description: "adopted" });
    expect(await c.diff()).toEqual({ changes: false });
    await c.delete();
    expect(entry(FP)).toBeUndefined();
  });
});

describe("bad input", () => {
  it("a malformed PEM is named at check, before any request", async () => {
    log.take();
    const res = await engineFor("Certificate").check(
      {},
      { name: `${prefix}-bad`, certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
    );
    expect(res.failures?.map((f) => f.property)).toEqual(["certificate"]);
    expect(res.failures![0].reason).toMatch(/^certificate: is not a valid PEM certificate/);
    expect(log.take()).toEqual([]);
  });

  it("a project that does not exist is Incus's answer at create, and nothing is left", async () => {
    const c = new Resource("Certificate", { name: `${prefix}-noproj`, restricted: true, projects: [`nope-${rand()}`] });
    const err = await rejection(c.create());
    expect(err.message).toMatch(/Certificate "pit-cert-.*-noproj".*[Pp]roject not found/);
    expect(ours().length).toBe(0);
  });
});
