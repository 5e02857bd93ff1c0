import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The signature a receiver checks: HMAC-SHA256 with the receiver's secret over
 * `<timestamp>.<body>`, sent as `X-Keel-Signature: sha256=<hex>` with the timestamp (Unix
 * seconds) in `X-Keel-Timestamp`. Signing the timestamp with the body lets a receiver refuse a
 * replayed request: the timestamp cannot be changed without the secret.
 */
export const signatureHeader = "x-keel-signature";
export const timestampHeader = "x-keel-timestamp";
export const deliveryHeader = "x-keel-delivery";

export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** a receiver's check, as docs/alerts.md shows it; `toleranceS` refuses old (replayed) requests */
export function verifySignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  nowS: number = Math.floor(Date.now() / 1000),
  toleranceS = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowS - timestamp) > toleranceS) return false;
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(headers.signature ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
