// Client certificates for HTTPS remotes: a self-signed EC P-384 certificate like the one `incus` generates, built
// with node:crypto and a small DER writer, so no openssl binary is needed.
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ClientCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (SEC1 "EC PRIVATE KEY", as the CLI writes it). */
  key: string;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items);
const set = (...items: Buffer[]) => tlv(0x31, ...items);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  return tlv(0x02, trimmed[0] & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), TRUE, octets(value)) : sequence(oid(id), octets(value));
}

const ECDSA_SHA384 = "1.2.840.10045.4.3.3";

/** A new self-signed client certificate (EC P-384, ECDSA-SHA384, clientAuth), valid for `validDays`. */
export function generateClientCertificate(
  opts: { commonName?: string; organization?: string; validDays?: number } = {},
): ClientCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
  const commonName = opts.commonName ?? `${os.userInfo().username}@${os.hostname()}`;
  const name = sequence(
    set(sequence(oid("2.5.4.10"), utf8(opts.organization ?? "pulumi-incus"))),
    set(sequence(oid("2.5.4.3"), utf8(commonName))),
  );
  // A minute of slack so a server whose clock runs a little behind still accepts it.
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.validDays ?? 3650) * 86_400_000);
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    sequence(oid(ECDSA_SHA384)),
    name,
    sequence(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    explicit(
      3,
      sequence(
        // digitalSignature + keyEncipherment
        extension("2.5.29.15", true, bits(Buffer.from([0xa0]), 5)),
        // extKeyUsage: clientAuth
        extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.2"))),
        // basicConstraints: not a CA
        extension("2.5.29.19", true, sequence()),
      ),
    ),
  );
  const signature = sign("sha384", tbs, privateKey);
  const der = sequence(tbs, sequence(oid(ECDSA_SHA384)), bits(signature));
  const body = der.toString("base64").replace(/.{1,64}/g, "$&\n");
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: "sec1", format: "pem" }).toString(),
  };
}

/** SHA-256 of the certificate's DER, lower-case hex: Incus's certificate fingerprint. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
}

/** Base64 DER, the only form `POST /1.0/certificates` accepts (reference §8.13). */
export function certificateBase64Der(pem: string): string {
  return new X509Certificate(pem).raw.toString("base64");
}

/**
 * The CLI's client certificate in `dir` (client.crt, client.key), generated when neither exists, as the CLI does on
 * its first HTTPS remote. Never overwrites one half of an existing pair.
 */
export function ensureClientCertificate(dir: string): ClientCertificate & { generated: boolean } {
  const certFile = path.join(dir, "client.crt");
  const keyFile = path.join(dir, "client.key");
  const read = () => ({ cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") });
  const haveCert = fs.existsSync(certFile);
  if (haveCert !== fs.existsSync(keyFile)) {
    throw new Error(`${dir} holds only one of client.crt and client.key; remove it or add the other`);
  }
  if (haveCert) return { ...read(), generated: false };

  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const pair = generateClientCertificate();
  try {
    // "wx": if another process generated a pair meanwhile, keep theirs.
    fs.writeFileSync(keyFile, pair.key, { mode: 0o600, flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return { ...read(), generated: false };
  }
  fs.writeFileSync(certFile, pair.cert, { mode: 0o644 });
  return { ...pair, generated: true };
}
