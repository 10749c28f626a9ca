/**
 * Human-readable reports of a declarative config error: one line per invalid field with
 * its document path (`services[0].routes[1].paths[0]`) and, when the text is at hand, its
 * `line:col` in the YAML/JSON source.
 */
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { DeclarativeConfigError } from "./types.js";

export interface ErrorLine {
  /** document path steps, e.g. ["services", 0, "host"] */
  path: Array<string | number>;
  /** `services[0].host` */
  pointer: string;
  message: string;
  /** 1-based line and column in the source text, when found */
  line?: number;
  col?: number;
}

export function pointerOf(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const step of path) {
    if (typeof step === "number") out += `[${step}]`;
    else if (step === "@entity") continue;
    else out += out === "" ? step : `.${step}`;
  }
  return out === "" ? "(document)" : out;
}

/** Leaf messages of Kong's nested `fields` (arrays are positions, objects are fields). */
export function errorLines(error: DeclarativeConfigError): ErrorLine[] {
  const out: ErrorLine[] = [];
  const walk = (v: unknown, path: Array<string | number>) => {
    if (typeof v === "string") {
      out.push({ path, pointer: pointerOf(path), message: v });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (item !== null) walk(item, [...path, i]);
      });
    } else if (typeof v === "object" && v !== null) {
      // lua-cjson encodes very sparse arrays as objects keyed by 1-based index
      const indexKeyed = isIndexKeyed(v);
      for (const [k, item] of Object.entries(v)) walk(item, [...path, indexKeyed ? Number(k) - 1 : k]);
    }
  };
  walk(error.fields, []);
  return out;
}

function isIndexKeyed(v: object): boolean {
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
}

/** Add `line`/`col` to each error line found in the source text. Never throws. */
export function locateErrors(text: string, lines: ErrorLine[]): ErrorLine[] {
  try {
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter, version: "1.1", merge: true, uniqueKeys: false });
    return lines.map((l) => {
      const node = nodeAt(doc.contents as Node | null, l.path);
      if (!node?.range) return l;
      const pos = counter.linePos(node.range[0]);
      return { ...l, line: pos.line, col: pos.col };
    });
  } catch {
    return lines;
  }
}

/** Deepest node along `path` (a missing field points at its record). */
function nodeAt(root: Node | null, path: ReadonlyArray<string | number>): Node | null {
  let cur: Node | null = root;
  for (const step of path) {
    if (cur === null) return null;
    let next: unknown = null;
    if (isSeq(cur) && typeof step === "number") next = cur.items[step];
    else if (isMap(cur)) {
      const pair = cur.items.find((p) => {
        const key = p.key as { value?: unknown } | null;
        return key !== null && String(key.value ?? key) === String(step);
      });
      next = pair ? (pair.value ?? pair.key) : null;
    }
    if (next === null || next === undefined || typeof next !== "object") return cur;
    cur = next as Node;
  }
  return cur;
}
