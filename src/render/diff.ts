/**
 * A unified diff (the `diff -u` / git format) for `stack render --check`: the hunks come from the
 * `diff` package (jsdiff: Myers' algorithm, no size cap); this module writes them with the git
 * headers (`--- a/…`, `+++ b/…`, no timestamps, no `Index:` line).
 */
import { structuredPatch } from "diff";

function range(start: number, count: number): string {
  // Unified diff: an empty range is shown at the line before it.
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * Unified diff of two texts, "" when equal. Labels name the two sides (`a/compose.yaml`,
 * `b/compose.yaml`); a missing file is `/dev/null` with empty text.
 */
export function unifiedDiff(
  oldText: string,
  newText: string,
  oldLabel: string,
  newLabel: string,
  context = 3,
): string {
  if (oldText === newText) return "";
  const patch = structuredPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, { context });
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  for (const h of patch.hunks) {
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines);
  }
  return `${out.join("\n")}\n`;
}
