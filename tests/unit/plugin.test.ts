// The `incus` resource provider plugin's translation layer (provider/plugin) and its package schema, without a
// daemon: the schema is what scripts/generate-schema.ts makes from the kinds (like sdk/generated/), says which
// fields replace exactly as the engine's diff does, and secrets survive the round trip through the plugin.
import * as fs from "node:fs";
import { generateSchema, SCHEMA_FILE, schemaModule } from "../../scripts/generate-schema";
import { kinds } from "../../provider/kinds";
import { conceal, incusPlugin, parseUrn, reveal } from "../../provider/plugin/provider";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";

test("provider/plugin/generated/schema.ts is what scripts/generate-schema.ts makes from provider/kinds (else: npm run generate)", () => {
  expect(fs.readFileSync(SCHEMA_FILE, "utf8")).toBe(schemaModule());
});

describe("package schema", () => {
  const schema = generateSchema() as any;

  it("has one resource per kind and the compose component, each input documented", () => {
    expect(Object.keys(schema.resources).sort()).toEqual([...Object.keys(kinds).map((k) => `incus:index:${k}`), "incus:compose:Stack"].sort());
    expect(schema.resources["incus:compose:Stack"]).toMatchObject({ isComponent: true, required: ["projectName", "services"] });
    for (const [token, r] of Object.entries<any>(schema.resources)) {
      for (const [key, p] of Object.entries<any>(r.inputProperties)) expect(`${token}.${key}: ${p.description ?? ""}`).toMatch(/: \S/);
    }
  });

  it("marks the fields whose change replaces the object, as the engine's diff decides", () => {
    const profile = schema.resources["incus:index:Profile"].inputProperties;
    expect(profile.project.willReplaceOnChanges).toBe(true);
    expect(profile.remote.willReplaceOnChanges).toBe(true);
    expect(profile.name.willReplaceOnChanges).toBeUndefined(); // renamed in place
    expect(profile.config.willReplaceOnChanges).toBeUndefined();
    const volume = schema.resources["incus:index:StorageVolume"].inputProperties;
    expect(volume.pool.willReplaceOnChanges).toBe(true);
  });

  it("types config values as strings, numbers or booleans, and outputs them as strings", () => {
    const profile = schema.resources["incus:index:Profile"];
    expect(profile.inputProperties.config.additionalProperties.oneOf.map((o: any) => o.type)).toEqual(["string", "number", "boolean"]);
    expect(profile.properties.config.additionalProperties).toEqual({ type: "string" });
    expect(profile.properties.usedBy).toMatchObject({ type: "array", items: { type: "string" } });
    // Nested objects and enums are named types.
    const network = schema.resources["incus:index:Network"].inputProperties;
    expect(schema.types[network.type.$ref.replace("#/types/", "")].enum.map((e: any) => e.value)).toContain("bridge");
    expect(schema.resources["incus:index:Instance"].properties.fileDigests.secret).toBe(true);
    // What commands print may hold part of a secret: always secret, in the YAML plugin as in the SDK.
    expect(schema.resources["incus:index:Instance"].properties.commandResults.secret).toBe(true);
  });
});

const secret = (value: unknown) => ({ [SIG]: SECRET, value });

describe("secrets between the protocol and the engine", () => {
  it("reveal gives plain values and the paths that were secret", () => {
    const { value, paths } = reveal({ name: "p", config: { "user.token": secret("s3cret"), "limits.cpu": "1" }, files: secret({ "/a": { content: "x" } }) });
    expect(value).toEqual({ name: "p", config: { "user.token": "s3cret", "limits.cpu": "1" }, files: { "/a": { content: "x" } } });
    expect(paths).toEqual([["config", "user.token"], ["files"]]);
  });

  it("conceal marks the values at those paths again, and only them", () => {
    const out = conceal({ name: "p", config: { "user.token": "s3cret", "limits.cpu": "1" }, __secretPaths: [["config", "user.token"]] }, [
      ["config", "user.token"],
      ["gone"],
    ]);
    expect(out).toEqual({ name: "p", config: { "user.token": secret("s3cret"), "limits.cpu": "1" }, __secretPaths: [["config", "user.token"]] });
    expect(JSON.stringify(out)).not.toMatch(/"user\.token":"s3cret"/);
  });
});

// A YAML program gives a bucket key's secretKey in plain text: check hands it back secret, as the TypeScript SDK makes
// it (the inputs Pulumi stores are check's). No daemon: the socket does not exist, so check's reads of a new object fail.
test("check conceals a kind's always-secret input given in plain text", async () => {
  const saved = process.env.INCUS_SOCKET;
  process.env.INCUS_SOCKET = "/nonexistent/pi-plugin-unit.socket";
  try {
    const urn = "urn:pulumi:dev::lab::incus:index:StorageBucketKey::writer";
    const res = await incusPlugin("0.0.0").check!(urn as any, {}, { pool: "default", bucket: "data", secretKey: "plain-secret-key", accessKey: "ak" });
    expect(res.failures ?? []).toEqual([]);
    expect(res.inputs?.secretKey).toEqual(secret("plain-secret-key"));
    expect(res.inputs?.accessKey).toBe("ak");
    expect(res.inputs?.__secretPaths).toEqual([["secretKey"]]);
    expect(JSON.stringify(res.inputs)).not.toContain('"secretKey":"plain-secret-key"');
  } finally {
    if (saved === undefined) delete process.env.INCUS_SOCKET;
    else process.env.INCUS_SOCKET = saved;
  }
});

test("parseUrn reads stack, project, kind and name (also under a parent)", () => {
  expect(parseUrn("urn:pulumi:dev::lab::incus:index:Profile::base")).toEqual({ stack: "dev", project: "lab", kind: "Profile", name: "base" });
  expect(parseUrn("urn:pulumi:dev::lab::my:Comp$incus:index:Instance::web::1")).toEqual({ stack: "dev", project: "lab", kind: "Instance", name: "web::1" });
});
