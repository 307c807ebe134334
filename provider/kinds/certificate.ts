// Certificate: a trust store entry, global, identified by its fingerprint (sha256 of the DER). The program gives a
// PEM certificate, or none: then the provider makes a key pair and a self-signed certificate, and the private key is
// an output kept secret (additionalSecretOutputs); it is never sent to Incus nor written into any message. Name,
// restricted, projects and description change in place (the PUT must repeat `type`, which Incus cannot change).
import { X509Certificate } from "node:crypto";
import { z } from "zod";
import { isUnknown, objectName } from "../engine/inputs";
import { isNotFound } from "../client";
import { type Context, defineKind, type Live, liveString } from "../engine/kind";
import { generateCertificate, ownerUnit } from "./certgen";
import { description, encode, globalFields } from "./common";

/** The one certificate of a PEM text, or a message saying why it is not usable. */
function parsePem(pem: string): X509Certificate | string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return "holds a private key; give only the certificate (the key stays with the client)";
  if (blocks !== 1) return blocks ? "holds several certificates; give exactly one" : "is not a PEM certificate (-----BEGIN CERTIFICATE-----)";
  try {
    return new X509Certificate(pem);
  } catch (err) {
    return `is not a valid PEM certificate (${(err as Error).message})`;
  }
}

const fingerprintOf = (cert: X509Certificate) => cert.fingerprint256.replace(/:/g, "").toLowerCase();

export const certificateSchema = z
  .strictObject({
    ...globalFields(objectName),
    type: z
      .enum(["client", "metrics"])
      .optional()
      .describe("`client` (API access) or `metrics` (only /1.0/metrics). Default: `client`. Incus cannot change it."),
    restricted: z.boolean().optional().describe("Limit the certificate to `projects`. Default: `false`."),
    projects: z.array(objectName).optional().describe("Projects a restricted certificate may use (each must exist). Default: none."),
    description,
    certificate: z
      .string()
      .superRefine((pem, ctx) => {
        if (isUnknown(pem)) return;
        const parsed = parsePem(pem);
        if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      })
      .optional()
      .describe(
        "The PEM certificate to trust. Default: a new key pair and self-signed client certificate (EC P-384, valid `validDays`), its key in the secret output `privateKey`. Another certificate replaces the entry.",
      ),
    validDays: z
      .number()
      .int()
      .min(1)
      .max(36500)
      .optional()
      .describe("Validity of a generated certificate, in days. Default: 3650. Used only when the provider generates one."),
    fingerprint: z
      .string()
      .optional()
      .describe("Output only: the certificate's SHA-256 fingerprint, computed from `certificate` at preview, or from the generated one."),
  })
  .superRefine((i, ctx) => {
    // Set by the provider only: a fingerprint of the program's own would never match a generated certificate.
    if (i.fingerprint !== undefined)
      ctx.addIssue({ code: "custom", path: ["fingerprint"], message: "is worked out from `certificate` (or the generated one); do not set it" });
  })
  .transform((i) => {
    // Incus keeps the list in its own order: compared as a set, sorted on both sides.
    if (i.projects && !i.projects.some(isUnknown)) i = { ...i, projects: [...new Set(i.projects)].sort() };
    if (i.certificate === undefined || isUnknown(i.certificate)) return i;
    const parsed = parsePem(i.certificate);
    return typeof parsed === "string" ? i : { ...i, fingerprint: fingerprintOf(parsed) };
  });
export type CertificateInputs = z.output<typeof certificateSchema> & { privateKey?: string };

function certificatePath(i: CertificateInputs): string {
  if (!i.fingerprint || isUnknown(i.fingerprint)) throw new Error("the certificate's fingerprint is not known yet");
  return `/1.0/certificates/${encode(i.fingerprint)}`;
}

export const certificate = defineKind({
  type: "Certificate",
  schema: certificateSchema as z.ZodType<CertificateInputs, any>,
  scoped: false,
  fieldRequires: { description: { extension: "certificate_description", when: (i) => !!i.description } },
  path: certificatePath,
  collection: () => "/1.0/certificates",
  listable: true,
  listKey: { input: "fingerprint", api: "fingerprint" },
  // The name is a field of the entry, written by the PUT like the others (Incus has no rename call for it).
  nameIsLabel: true,
  renamable: false,
  title: (i) => `"${i.name}"${i.fingerprint ? ` (${i.fingerprint.slice(0, 12)})` : ""}`,
  identity: ["fingerprint"],
  fields: {
    name: { mode: "update" },
    type: { mode: "replace", empty: "client" },
    restricted: { mode: "update", empty: false },
    projects: { mode: "update", empty: [], fromLive: (v) => (Array.isArray(v) ? [...v].sort() : v) },
    description: { mode: "update", empty: "" },
  },
  // A PUT without `type` is refused ("The certificate type cannot be changed"); without `certificate` it keeps it.
  put: { extras: ["type"] },
  outputKeys: ["fingerprint", "certificate", "privateKey", "expiresAt"],
  secretOutputs: ["privateKey"],
  // Known only to the stack that generated it: a lookup never has it.
  stackOutputs: ["privateKey"],
  outputs: (live, inputs) => ({
    fingerprint: liveString(live.fingerprint),
    certificate: liveString(live.certificate),
    // Only the create that generated it knows the key; later calls carry it over from state.
    privateKey: inputs.privateKey ?? null,
    expiresAt: expiry(liveString(live.certificate)),
  }),

  async create(ctx, inputs) {
    const unit = ctx.owner ? ownerUnit(ctx.owner) : undefined;
    if (inputs.certificate === undefined && unit) await dropLeftovers(ctx, unit);
    const generated = inputs.certificate === undefined ? await generateCertificate(inputs.name, inputs.validDays ?? 3650, unit) : undefined;
    const cert = new X509Certificate(generated?.certificate ?? inputs.certificate!);
    // POST takes only base64 DER (a PEM gets "illegal base64 data").
    await ctx.client.post(
      "/1.0/certificates",
      {
        name: inputs.name,
        type: inputs.type ?? "client",
        restricted: inputs.restricted ?? false,
        projects: inputs.projects ?? [],
        description: inputs.description ?? "",
        certificate: cert.raw.toString("base64"),
      },
      { project: null },
    );
    return { fingerprint: fingerprintOf(cert), ...(generated ? { privateKey: generated.privateKey } : {}) };
  },
  docs: {
    summary:
      "A certificate in the Incus trust store (global). Give a PEM certificate, or none and the provider generates a key pair and a self-signed client certificate; the private key is the secret output `privateKey`.",
    outputs: {
      fingerprint: "The certificate's SHA-256 fingerprint (its identity in Incus).",
      certificate: "The trusted certificate, PEM, as Incus stores it.",
      privateKey: "PEM private key of a certificate the provider generated (secret; null when the program gave the certificate).",
      expiresAt: "When the certificate expires (RFC 3339).",
    },
    outputTypes: { privateKey: "string | null" },
    table: { identity: "(global)" },
  },
  example: {
    args: { name: "ci", description: "CI runner" },
    program: `
const ci = new incus.Certificate("ci", { restricted: true, projects: [lab.name] });
export const ciKey = ci.privateKey; // a secret
`,
  },
});

/**
 * Trust entries that an earlier create of this same resource generated and no resource of the stack records: the run
 * that made one was killed before it could, and took the private key with it. They are deleted, so a generated
 * certificate is never trusted twice. (An entry the stack records, such as the old half of this resource's
 * replacement, is left to its own delete.)
 */
async function dropLeftovers(ctx: Context, unit: string): Promise<void> {
  for (const entry of await ctx.client.list<Live>("/1.0/certificates", { project: null })) {
    const path = `/1.0/certificates/${encode(liveString(entry.fingerprint))}`;
    let subject = "";
    try {
      subject = new X509Certificate(liveString(entry.certificate)).subject;
    } catch {
      continue;
    }
    if (!subject.split("\n").includes(`OU=${unit}`) || ctx.isRecorded?.(path)) continue;
    console.log(
      `${ctx.type} "${liveString(entry.name)}": deleting the trust entry ${liveString(entry.fingerprint).slice(0, 12)} that an interrupted run of this resource generated (its key was lost)`,
    );
    await ctx.client.delete(path, { project: null }).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

function expiry(pem: string): string {
  try {
    return new Date(new X509Certificate(pem).validTo).toISOString();
  } catch {
    return "";
  }
}
