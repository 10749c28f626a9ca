/**
 * Kong-like `configuration_hash`: md5 hex of the canonical JSON (object keys sorted,
 * arrays in order) of the declarative document as parsed, before vault references are
 * resolved. YAML and JSON spellings of the same document hash the same, so `stack health`
 * can compare the rendered file with what a running gateway reports in GET /status.
 */
import { createHash } from "node:crypto";
import { parseDocumentText } from "./text.js";

/** Canonical JSON: sorted keys, no whitespace; undefined members dropped as JSON does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, sortKeys) ?? "null";
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) {
    if (k === "__proto__") Object.defineProperty(out, k, { value: obj[k], enumerable: true, writable: true });
    else out[k] = obj[k];
  }
  return out;
}

/**
 * The canonical JSON of each entity of a collection, by object: database mode hands the loader the
 * same record objects on every reload but the ones that changed (they are never modified), so
 * hashing a 10,000-route state serializes only what changed. A fresh document (DB-less) just misses.
 */
const entityJson = new WeakMap<object, string>();

function memoizedJson(value: unknown): string {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return canonicalJson(value);
  let json = entityJson.get(value);
  if (json === undefined) {
    json = canonicalJson(value);
    entityJson.set(value, json);
  }
  return json;
}

/**
 * What database mode stores beside the configuration but is no part of it: the oauth2 tokens and
 * codes the plugin issues (Kong never exports them). They are left out of the hash, so issuing a
 * token changes no replica's configuration_hash and every replica agrees however it loaded.
 */
const NOT_HASHED: ReadonlySet<string> = new Set(["oauth2_tokens", "oauth2_authorization_codes"]);

/**
 * Hash of an already parsed declarative document: exactly md5(canonicalJson(doc)) but for the
 * collections above, with the entities of its top-level collections serialized through the memo.
 */
export function hashDeclarative(doc: unknown): string {
  const md5 = createHash("md5");
  if (doc === null || typeof doc !== "object" || Array.isArray(doc))
    return md5.update(canonicalJson(doc)).digest("hex");
  const obj = doc as Record<string, unknown>;
  let first = true;
  md5.update("{");
  for (const key of Object.keys(obj).sort()) {
    const value = obj[key];
    if (value === undefined || typeof value === "function" || typeof value === "symbol") continue;
    if (NOT_HASHED.has(key)) continue;
    md5.update(`${first ? "" : ","}${JSON.stringify(key)}:`);
    first = false;
    if (Array.isArray(value)) {
      md5.update("[");
      value.forEach((item, i) => {
        const json =
          item === undefined || typeof item === "function" || typeof item === "symbol"
            ? "null"
            : memoizedJson(item);
        md5.update(i === 0 ? json : `,${json}`);
      });
      md5.update("]");
    } else {
      md5.update(canonicalJson(value));
    }
  }
  return md5.update("}").digest("hex");
}

/**
 * Hash of declarative text (YAML or JSON). Text that does not parse is hashed as is, so
 * the function never throws.
 */
export function hashDeclarativeText(text: string): string {
  const parsed = parseDocumentText(text);
  if (!parsed.ok) return createHash("md5").update(text).digest("hex");
  return hashDeclarative(parsed.doc);
}
