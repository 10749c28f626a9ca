/**
 * A small unified diff (the `diff -u` / git format) for `stack render --check`: line-based,
 * common prefix and suffix trimmed first, then a longest-common-subsequence table over the
 * changed middle (generated files are small; past MAX_CELLS the middle is shown as one
 * replacement rather than spending quadratic time).
 */
type Op = { kind: " " | "-" | "+"; text: string };

const MAX_CELLS = 4_000_000;
const NO_NEWLINE = "\\ No newline at end of file";

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += `\n${NO_NEWLINE}`;
  return lines;
}

function diffLines(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((text) => ({ kind: " ", text }));
  ops.push(...diffMiddle(a.slice(start, endA), b.slice(start, endB)));
  for (const text of a.slice(endA)) ops.push({ kind: " ", text });
  return ops;
}

function diffMiddle(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_CELLS) {
    return [
      ...a.map((text) => ({ kind: "-" as const, text })),
      ...b.map((text) => ({ kind: "+" as const, text })),
    ];
  }
  // lcs[i][j] = LCS length of a[i..] and b[j..], stored row-major in one array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ kind: " ", text: a[i++]! });
      j++;
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      ops.push({ kind: "-", text: a[i++]! });
    } else {
      ops.push({ kind: "+", text: b[j++]! });
    }
  }
  while (i < n) ops.push({ kind: "-", text: a[i++]! });
  while (j < m) ops.push({ kind: "+", text: b[j++]! });
  return ops;
}

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
  const ops = diffLines(splitLines(oldText), splitLines(newText));
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  const changed = ops.map((op, index) => (op.kind === " " ? -1 : index)).filter((index) => index >= 0);
  let h = 0;
  while (h < changed.length) {
    // Grow a hunk while the next change is within 2×context lines of the previous one.
    let last = changed[h]!;
    let next = h + 1;
    while (next < changed.length && changed[next]! - last <= 2 * context) last = changed[next++]!;
    const from = Math.max(0, changed[h]! - context);
    const to = Math.min(ops.length, last + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (const op of ops.slice(0, from)) {
      if (op.kind !== "+") oldStart++;
      if (op.kind !== "-") newStart++;
    }
    const body = ops.slice(from, to);
    const oldCount = body.filter((op) => op.kind !== "+").length;
    const newCount = body.filter((op) => op.kind !== "-").length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of body) out.push(`${op.kind}${op.text}`);
    h = next;
  }
  return `${out.join("\n")}\n`;
}
