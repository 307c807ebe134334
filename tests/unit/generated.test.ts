// sdk/generated.ts is generated from the kind declarations; this fails while the committed file is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { GENERATED_FILE, generateProviderModules, generateSdk, PROVIDER_MODULES_DIR } from "../../scripts/generate-sdk";

test("sdk/generated.ts is what scripts/generate-sdk.ts makes from provider/kinds (else: npm run generate)", () => {
  expect(fs.readFileSync(GENERATED_FILE, "utf8")).toBe(generateSdk());
});

test("sdk/dynamic/ holds one provider module per kind, as scripts/generate-sdk.ts makes them (else: npm run generate)", () => {
  const wanted = generateProviderModules();
  expect(fs.readdirSync(PROVIDER_MODULES_DIR).sort()).toEqual(Object.keys(wanted).sort());
  for (const [name, text] of Object.entries(wanted)) expect(fs.readFileSync(path.join(PROVIDER_MODULES_DIR, name), "utf8")).toBe(text);
});

test("every Args field has a doc comment that says what it does", () => {
  const text = generateSdk();
  const args = [...text.matchAll(/export interface ((?!Get[A-Z])\w+Args) \{\n([\s\S]*?)\n\}/g)];
  expect(args.map((m) => m[1])).toEqual(["ProjectArgs", "ProfileArgs", "NetworkArgs", "StoragePoolArgs", "StorageVolumeArgs", "ImageArgs", "InstanceArgs", "NetworkAclArgs", "NetworkForwardArgs", "NetworkZoneArgs", "NetworkZoneRecordArgs", "CertificateArgs", "ServerConfigArgs", "InstanceSnapshotArgs", "StorageVolumeSnapshotArgs", "ImageAliasArgs", "StorageBucketArgs", "StorageBucketKeyArgs"]);
  for (const [, name, body] of args) {
    // Top-level fields are indented by two spaces; each must follow the end of a doc comment.
    const lines = body.split("\n");
    lines.forEach((line, i) => {
      if (/^ {2}\w+\??: /.test(line)) expect(`${name}: ${lines[i - 1]}`).toMatch(/\*\/$/);
    });
  }
});
