/**
 * OAuth2 client secrets stored hashed (`hash_secret`), as Kong kong/plugins/oauth2/secret.lua
 * stores them: PBKDF2-HMAC-SHA512, 10,000 iterations, a 32-byte key and a 16-byte random salt, in
 * the PHC string `$pbkdf2-sha512$i=10000,l=32$<salt>$<hash>` (base64 without padding) — so a
 * secret hashed by Kong verifies here and the other way round.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

const DIGEST = "sha512";
const ITERATIONS = 10_000;
const HASH_LEN = 32;
const SALT_LEN = 16;
const PREFIX = "$pbkdf2-";

const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

export function hashClientSecret(secret: string, salt: Buffer = randomBytes(SALT_LEN)): string {
  const hash = pbkdf2Sync(secret, salt, ITERATIONS, HASH_LEN, DIGEST);
  return `${PREFIX}${DIGEST}$i=${ITERATIONS},l=${HASH_LEN}$${b64(salt)}$${b64(hash)}`;
}

/** Is this a stored hash (a PHC string Kong's secret module writes)? */
export function isHashedSecret(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** Does `secret` match the stored PHC string? false for anything unparsable. */
export function verifyClientSecret(secret: string, phc: string): boolean {
  const m = /^\$pbkdf2-(sha\d+)\$([^$]*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc);
  if (m === null) return false;
  const [, digest, paramText, saltText, hashText] = m as unknown as [string, string, string, string, string];
  const params = new Map(paramText.split(",").map((p) => p.split("=") as [string, string]));
  const iterations = Number(params.get("i") ?? ITERATIONS);
  const expected = Buffer.from(hashText, "base64");
  const length = Number(params.get("l") ?? expected.length);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000) return false;
  if (!Number.isInteger(length) || length < 1 || length > 1024 || length !== expected.length) return false;
  let derived: Buffer;
  try {
    derived = pbkdf2Sync(secret, Buffer.from(saltText, "base64"), iterations, length, digest);
  } catch {
    return false; // a digest node does not know
  }
  return timingSafeEqual(derived, expected);
}
