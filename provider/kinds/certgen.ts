// A self-signed client certificate made with node's crypto alone (no X.509 library at run time): an EC P-384 key,
// like the one the incus CLI makes, and a minimal DER-encoded certificate signed with ECDSA-SHA384.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";

/** DER: tag, length, contents. */
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const octets = (b: Buffer) => tlv(0x04, b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = n >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime (YYMMDDHHMMSSZ) up to 2049, GeneralizedTime after, as RFC 5280 asks. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const ECDSA_SHA384 = seq(oid("1.2.840.10045.4.3.3"));

export interface GeneratedCertificate {
  certificate: string;
  /** PEM private key (PKCS#8). */
  privateKey: string;
}

/** A new self-signed certificate for TLS client authentication, valid for `validDays` (from a minute ago). */
export function generateCertificate(commonName: string, validDays: number): GeneratedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and no leading zero byte
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + validDays * 86_400_000);
  const name = seq(set(seq(oid("2.5.4.10"), utf8("pulumi-incus"))), set(seq(oid("2.5.4.3"), utf8(commonName))));
  const extensions = tlv(
    0xa3,
    seq(
      seq(oid("2.5.29.15"), bool(true), octets(bitString(Buffer.from([0xa0])))), // keyUsage: digitalSignature, keyEncipherment
      seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.2")))), // extKeyUsage: clientAuth
      seq(oid("2.5.29.19"), bool(true), octets(seq())), // basicConstraints: not a CA
    ),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version 3
    tlv(0x02, serial),
    ECDSA_SHA384,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signature = sign("sha384", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = seq(tbs, ECDSA_SHA384, bitString(signature));
  const certificate = new X509Certificate(der).toString();
  return { certificate, privateKey: createPrivateKey(privateKey.export({ type: "pkcs8", format: "pem" })).export({ type: "pkcs8", format: "pem" }).toString() };
}
