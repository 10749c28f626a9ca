import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";

/** A random secret: `bytes` of entropy, base64url (A-Z a-z 0-9 - _), safe in .env, URLs and headers. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/**
 * bcrypt cost for the tools' basic auth. Caddy verifies the hash on every request, so not
 * Caddy's 14; the password is 144 random bits, so the cost adds no meaningful protection anyway.
 */
export const BASICAUTH_BCRYPT_COST = 10;

/**
 * The value of TOOLS_BASICAUTH_HASH: base64 (standard alphabet) of a bcrypt hash of `password`.
 *
 * Checked against Debian's caddy 2.6.2: its `basicauth` directive accepts the bcrypt hash
 * either in Modular Crypt Format as `caddy hash-password` prints it (`$2a$14$…`) or
 * base64-encoded (the older documented form, still decoded when the value does not start
 * with `$`); bcryptjs's `$2b$` prefix verifies too. We store base64 because a raw bcrypt
 * hash is full of `$`, which Docker Compose would try to interpolate when it reads .env.
 */
export function basicauthHash(password: string, cost = BASICAUTH_BCRYPT_COST): string {
  return Buffer.from(bcrypt.hashSync(password, cost), "utf8").toString("base64");
}

/** Check a password against a TOOLS_BASICAUTH_HASH value (either form Caddy accepts). */
export function verifyBasicauthHash(password: string, hash: string): boolean {
  const mcf = hash.startsWith("$") ? hash : Buffer.from(hash, "base64").toString("utf8");
  return bcrypt.compareSync(password, mcf);
}
