/**
 * Constant-time secret handling for the auth plugins. Presented secrets are never
 * compared byte by byte: both sides are HMAC'd with a per-process random key and the
 * fixed-length digests compared with crypto.timingSafeEqual. Lookups by secret (API keys)
 * go through the digest too, so the time a lookup takes says nothing about how much of
 * a real key an attacker guessed.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PROCESS_KEY = randomBytes(32);

/** HMAC-SHA256 of `secret` under this process's random key (hex). */
export function secretDigest(secret: string): string {
  return createHmac("sha256", PROCESS_KEY).update(secret, "utf8").digest("hex");
}

function digestBytes(secret: string): Buffer {
  return createHmac("sha256", PROCESS_KEY).update(secret, "utf8").digest();
}

/** True when `a` and `b` are equal; takes the same time whatever they hold. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digestBytes(a), digestBytes(b));
}

/**
 * An index from secret to value, keyed by digest: `get` hashes the presented secret
 * once and does one map lookup, then re-checks the stored secret in constant time.
 */
export class SecretIndex<V> {
  private readonly byDigest = new Map<string, { secret: string; value: V }>();

  set(secret: string, value: V): void {
    this.byDigest.set(secretDigest(secret), { secret, value });
  }

  get(presented: string): V | null {
    const hit = this.byDigest.get(secretDigest(presented));
    if (!hit) return null;
    // Found by digest, so the lengths match (barring an HMAC collision); a plain
    // constant-time byte comparison re-checks without two more HMACs on the hot path.
    const stored = Buffer.from(hit.secret, "utf8");
    const given = Buffer.from(presented, "utf8");
    return stored.length === given.length && timingSafeEqual(stored, given) ? hit.value : null;
  }

  get size(): number {
    return this.byDigest.size;
  }
}
