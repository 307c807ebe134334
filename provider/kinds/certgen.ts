// A self-signed client certificate, like the one the incus CLI makes (EC P-384, ECDSA-SHA384, clientAuth), built
// with @peculiar/x509 over node's WebCrypto. The library (and the reflect-metadata it needs loaded first) is only
// required when a certificate is generated, so programs and providers that never do that do not pay for it.
import { createHash, createPrivateKey, randomBytes, webcrypto } from "node:crypto";

export interface GeneratedCertificate {
  /** PEM certificate. */
  certificate: string;
  /** PEM private key (PKCS#8). */
  privateKey: string;
}

type X509 = typeof import("@peculiar/x509");
let x509: X509 | undefined;
function library(): X509 {
  if (!x509) {
    require("reflect-metadata");
    x509 = require("@peculiar/x509") as X509;
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<X509["cryptoProvider"]["set"]>[0]);
  }
  return x509;
}

/**
 * The organisational unit a generated certificate carries to say which resource made it: a hash of the resource's
 * owner (stack and URN), so that the next create of the same resource can find the trust entry of a run that was
 * killed before it recorded the entry (its key is lost with that run), and the owner itself is not shown.
 */
export function ownerUnit(owner: string): string {
  return `pulumi-incus-owner:${createHash("sha256").update(owner).digest("hex").slice(0, 32)}`;
}

/** A new self-signed certificate for TLS client authentication, valid for `validDays` (from a minute ago). */
export async function generateCertificate(commonName: string, validDays: number, unit?: string): Promise<GeneratedCertificate> {
  const lib = library();
  const algorithm = { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  // A minute of slack so a server whose clock runs a little behind still accepts it.
  const notBefore = new Date(Date.now() - 60_000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and no leading zero byte
  const cert = await lib.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString("hex"),
    name: [{ O: ["pulumi-incus"] }, ...(unit ? [{ OU: [unit] }] : []), { CN: [commonName] }],
    notBefore,
    notAfter: new Date(notBefore.getTime() + validDays * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature | lib.KeyUsageFlags.keyEncipherment, true),
      new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.clientAuth]),
      new lib.BasicConstraintsExtension(false, undefined, true),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKey = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ type: "pkcs8", format: "pem" }).toString();
  return { certificate: cert.toString("pem"), privateKey };
}
