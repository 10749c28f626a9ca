/**
 * Giving memory back after a configuration swap. Loading a big configuration allocates a
 * lot that lives just long enough to reach V8's old generation (the loader runs as one long
 * synchronous step); once the old snapshot is released, V8 would keep those pages until its
 * own heuristics shrink the heap — under steady traffic, for a long time. A full collection
 * right after a swap (a rare, admin-driven event) returns the gateway to its live size.
 *
 * It needs V8's `gc` function: present with `node --expose-gc` (the image sets it in
 * NODE_OPTIONS), or enabled at run time by `enableHeapCompaction()` (`stack gateway serve`).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type GcFunction = () => void;

let collector: GcFunction | null = null;
let runs = 0;

/** How many compactions ran in this process (observability, tests). */
export function compactionCount(): number {
  return runs;
}

function exposed(): GcFunction | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? (gc as GcFunction) : null;
}

/** Make V8's collector callable (process-wide; used by the gateway's serve command). */
export function enableHeapCompaction(): boolean {
  if (collector !== null || exposed() !== null) return true;
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") collector = gc as GcFunction;
  } catch {
    collector = null;
  }
  return collector !== null;
}

/** Run a full collection now, when the process can (else nothing). */
export function compactHeap(): boolean {
  const gc = collector ?? exposed();
  if (gc === null) return false;
  gc();
  runs++;
  return true;
}
