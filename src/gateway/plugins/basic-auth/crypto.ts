/**
 * Kong's basic-auth password hash (kong/plugins/basic-auth/crypto.lua): the SHA-1 hex of the
 * password salted with the credential's consumer id, `sha1(password .. consumer_id)` — what
 * database mode stores and shows for a password written through the Admin API, so the password
 * as sent is never kept.
 */
import { hash } from "node:crypto";

export function hashBasicAuthPassword(consumerId: string, password: string | null | undefined): string {
  return hash("sha1", (password ?? "") + consumerId, "hex");
}
