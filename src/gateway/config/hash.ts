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

/** Hash of an already parsed declarative document. */
export function hashDeclarative(doc: unknown): string {
  return createHash("md5").update(canonicalJson(doc)).digest("hex");
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
