/**
 * Secrets kept out of Admin API answers: credential secrets (key-auth keys, JWT secrets,
 * basic-auth passwords, HMAC/OAuth2 secrets) wherever they sit in a declarative document,
 * and plugin config fields whose name says they hold a secret (password, token…). Vault
 * references (`{vault://env/X}`) are pointers, not secrets, and are shown as written.
 */
import { isPlainObject, setOwn } from "../config/schema/fields.js";

export const REDACTED = "[REDACTED]";

/** Secret field of each credential collection. */
export const CREDENTIAL_SECRETS: Readonly<Record<string, readonly string[]>> = {
  keyauth_credentials: ["key"],
  jwt_secrets: ["secret"],
  basicauth_credentials: ["password"],
  hmacauth_credentials: ["secret"],
  oauth2_credentials: ["client_secret"],
  oauth2_tokens: ["access_token", "refresh_token"],
  oauth2_authorization_codes: ["code", "challenge"],
};

const SECRET_NAME = /(password|passwd|secret|token|private_key|api_key|apikey|authorization|credentials?)$/i;

function hide(value: unknown): unknown {
  if (typeof value === "string" && value.trim().startsWith("{vault://")) return value;
  if (value === null || value === undefined) return value;
  return REDACTED;
}

/** Plugin config (or any record): fields named like secrets are hidden, recursively. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_NAME.test(k) && (typeof v === "string" || typeof v === "number")) setOwn(out, k, hide(v));
    else if (SECRET_NAME.test(k) && Array.isArray(v) && v.every((x) => typeof x === "string"))
      setOwn(out, k, v.map(hide));
    else setOwn(out, k, redactSecrets(v));
  }
  return out;
}

/** A declarative document with every secret replaced by "[REDACTED]". */
export function redactDocument(doc: unknown): unknown {
  return walk(doc, null);
}

function walk(value: unknown, collection: string | null): unknown {
  if (Array.isArray(value)) return value.map((item) => walk(item, collection));
  if (!isPlainObject(value)) return value;
  const secrets = collection !== null ? CREDENTIAL_SECRETS[collection] : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (secrets?.includes(k)) setOwn(out, k, hide(v));
    else if (k === "config" && collection === "plugins") setOwn(out, k, redactSecrets(v));
    else if (Array.isArray(v)) setOwn(out, k, walk(v, k));
    else setOwn(out, k, walk(v, null));
  }
  return out;
}
