// Client certificates for the tests of HTTPS remotes: self-signed EC P-384 (like the one the incus CLI makes),
// made by the provider's generator (provider/kinds/certgen.ts); fingerprints and the DER form Incus's trust store takes.
import { execFileSync } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { generateCertificate } from "../provider/kinds/certgen";

export interface ClientCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (SEC1 "EC PRIVATE KEY", as the CLI writes it). */
  key: string;
}

/** A new self-signed client certificate (the provider's generator), valid for `validDays`, key in the CLI's form. */
export async function generateClientCertificate(opts: { commonName?: string; validDays?: number } = {}): Promise<ClientCertificate> {
  const made = await generateCertificate(opts.commonName ?? "pulumi-incus-test", opts.validDays ?? 30);
  return { cert: made.certificate, key: createPrivateKey(made.privateKey).export({ type: "sec1", format: "pem" }).toString() };
}

/** SHA-256 of the certificate's DER, lower-case hex: Incus's certificate fingerprint. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/** Base64 DER, the only form `POST /1.0/certificates` accepts. */
export function certificateBase64Der(pem: string): string {
  return new X509Certificate(pem).raw.toString("base64");
}

/**
 * A self-signed EC P-384 certificate and its PKCS#8 key made by the `openssl` CLI, synchronously (for test tables
 * built at load time); independent of the provider's own generator.
 */
export function opensslCertificate(commonName: string, validDays: number): { certificate: string; privateKey: string } {
  const out = execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-384",
      "-nodes",
      "-subj",
      `/O=pulumi-incus/CN=${commonName}`,
      "-days",
      String(validDays),
      "-keyout",
      "-",
      "-out",
      "-",
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const block = (label: string) => out.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----\\n`))![0];
  return { certificate: block("CERTIFICATE"), privateKey: block("PRIVATE KEY") };
}
