/**
 * The live state as a Kong declarative document (`_format_version` "3.0"), flat — one list per
 * kind, every entity with its id, foreign keys as `{ id }` — the shape database mode stores and
 * the gateway's loader reads back to the same entities (so `dump` then `sync` writes nothing).
 * Deterministic: kinds in the declarative order, entities sorted by label then id, fields in the
 * schema's order, Admin-only fields (timestamps, fields the loader does not know) left out.
 * Secrets are as the Admin API returns them ("[REDACTED]").
 */
import { stringify } from "yaml";
import type { KindName } from "../gateway/config/kinds.js";
import { STORED_KINDS } from "../gateway/store/records.js";
import { type AdminEntity, labelOf, REDACTED, schemaFields } from "./collections.js";
import type { LiveState } from "./live-state.js";

export interface DumpDocument {
  document: Record<string, unknown>;
  /** entities per kind */
  counts: Partial<Record<KindName, number>>;
  /** values the Admin API redacted (the file cannot recreate those secrets) */
  redacted: number;
}

export function dumpDocument(live: LiveState): DumpDocument {
  const document: Record<string, unknown> = { _format_version: "3.0" };
  const counts: Partial<Record<KindName, number>> = {};
  let redacted = 0;
  for (const kind of STORED_KINDS) {
    const entities = [...(live.get(kind) ?? [])].sort(
      (a, b) => compare(labelOf(kind, a), labelOf(kind, b)) || compare(a.id, b.id),
    );
    if (entities.length === 0) continue;
    const fields = schemaFields(kind);
    document[kind] = entities.map((e) => {
      redacted += countRedacted(e);
      return pick(e, fields);
    });
    counts[kind] = entities.length;
  }
  return { document, counts, redacted };
}

export function dumpYaml(doc: Record<string, unknown>): string {
  return stringify(doc, { lineWidth: 0, sortMapEntries: false });
}

function pick(e: AdminEntity, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(e, f) && e[f] !== undefined) out[f] = e[f];
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countRedacted(v: unknown): number {
  if (v === REDACTED) return 1;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + countRedacted(x), 0);
  if (typeof v === "object" && v !== null) {
    let n = 0;
    for (const x of Object.values(v)) n += countRedacted(x);
    return n;
  }
  return 0;
}
