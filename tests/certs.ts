// Client certificates for the tests of HTTPS remotes: self-signed EC P-384 (like the one the incus CLI makes),
// built with @peculiar/x509 over node's WebCrypto; fingerprints and the DER form Incus's trust store takes.
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from "node:crypto";
import "reflect-metadata"; // tsyringe, which @peculiar/x509 uses, needs it loaded first
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface ClientCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (SEC1 "EC PRIVATE KEY", as the CLI writes it). */
  key: string;
}

/** A new self-signed client certificate (EC P-384, ECDSA-SHA384, clientAuth), valid for `validDays`. */
export async function generateClientCertificate(opts: { commonName?: string; validDays?: number } = {}): Promise<ClientCertificate> {
  const algorithm = { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  // A minute of slack so a server whose clock runs a little behind still accepts it.
  const notBefore = new Date(Date.now() - 60_000);
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString("hex"),
    name: `O=pulumi-incus, CN=${opts.commonName ?? "pulumi-incus-test"}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.validDays ?? 30) * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ type: "sec1", format: "pem" }).toString();
  return { cert: cert.toString("pem"), key };
}

/** SHA-256 of the certificate's DER, lower-case hex: Incus's certificate fingerprint. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/** Base64 DER, the only form `POST /1.0/certificates` accepts. */
export function certificateBase64Der(pem: string): string {
  return new X509Certificate(pem).raw.toString("base64");
}
