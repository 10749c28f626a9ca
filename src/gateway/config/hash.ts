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
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    return s === undefined ? "null" : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
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
