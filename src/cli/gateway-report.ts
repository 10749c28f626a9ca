/**
 * The human report of the replica-wide gateway commands: one block per replica — a diff entity
 * by entity (`+` added, `~` changed with each field's values, `-` removed), a push's outcome.
 * Values arrive redacted (src/gateway-client/diff.ts); long ones are cut.
 */
import type { FieldChange } from "../gateway-client/diff.js";
import type { ReplicaDiff } from "../gateway-client/replica-diff.js";
import type { ReplicaPush } from "../gateway-client/replica-sync.js";

const VALUE_WIDTH = 100;

export function diffLines(r: ReplicaDiff): string[] {
  if (r.error)
    return [`✗ ${r.replica}: ${r.error.message}`, ...(r.error.hint ? [`  hint: ${r.error.hint}`] : [])];
  const d = r.diff!;
  if (r.equal) return [`✓ ${r.replica}: serves the file (${d.unchanged} entities)`];
  const lines = [
    `~ ${r.replica}: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed, ${d.unchanged} unchanged`,
  ];
  for (const e of d.added) lines.push(`  + ${e.label}`);
  for (const e of d.changed) {
    lines.push(`  ~ ${e.label}`);
    for (const f of e.fields) lines.push(`      ${fieldLine(f)}`);
  }
  for (const e of d.removed) lines.push(`  - ${e.label}`);
  if (r.hidden)
    lines.push(
      `  ~ configuration hash ${r.hash?.served?.slice(0, 12) ?? "none"}, file ${r.hash?.file.slice(0, 12)}: it differs in what the Admin API does not show (a secret it redacts)`,
    );
  return lines;
}

export function pushLine(p: ReplicaPush): string {
  const what =
    p.action === "config" ? "POST /config" : p.action === "sync" ? "synced through it" : "reads the database";
  if (p.ok) return `✓ ${p.replica}: ${what}, serves ${p.servedHash?.slice(0, 12)}`;
  return `✗ ${p.replica}: ${what} — ${p.error?.message ?? "failed"}`;
}

function fieldLine(f: FieldChange): string {
  return `${f.field}: ${short(f.from)} → ${short(f.to)}`;
}

function short(v: unknown): string {
  const text = JSON.stringify(v) ?? "null";
  return text.length > VALUE_WIDTH ? `${text.slice(0, VALUE_WIDTH - 1)}…` : text;
}
