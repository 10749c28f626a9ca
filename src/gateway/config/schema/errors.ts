/**
 * Validation error trees shaped like Kong's: a record of field → message, nested
 * records for record fields, and (sparse) lists for arrays, where each position holds
 * the error of that element. They serialize to Kong's JSON (`fields`) and to Kong's
 * Lua-table text used in `message` ("declarative config is invalid: {...}").
 */

export type ErrorTree = string | ErrorList | ErrorRecord;

/** Errors of array elements, by 0-based position (Kong's sparse Lua arrays). */
export class ErrorList {
  readonly items = new Map<number, ErrorTree>();

  set(index: number, err: ErrorTree): this {
    this.items.set(index, err);
    return this;
  }

  static of(...messages: string[]): ErrorList {
    const list = new ErrorList();
    messages.forEach((m, i) => {
      list.items.set(i, m);
    });
    return list;
  }

  get size(): number {
    return this.items.size;
  }
}

export interface ErrorRecord {
  [field: string]: ErrorTree;
}

export function isErrorList(t: ErrorTree | undefined): t is ErrorList {
  return t instanceof ErrorList;
}

export function isErrorRecord(t: ErrorTree | undefined): t is ErrorRecord {
  return typeof t === "object" && t !== null && !(t instanceof ErrorList);
}

/** Add `msg` to a record field, turning a single message into a list when needed. */
export function addMessage(rec: ErrorRecord, field: string, msg: string): void {
  const prev = rec[field];
  if (prev === undefined) {
    rec[field] = msg;
  } else if (typeof prev === "string") {
    rec[field] = ErrorList.of(prev, msg);
  } else if (prev instanceof ErrorList) {
    prev.set(prev.items.size === 0 ? 0 : Math.max(...prev.items.keys()) + 1, msg);
  } else {
    addMessage(prev, "@entity", msg);
  }
}

/** Merge `b` into `a` (records merged key by key, lists position by position). */
export function mergeErrors(a: ErrorTree | undefined, b: ErrorTree): ErrorTree {
  if (a === undefined) return b;
  if (isErrorRecord(a) && isErrorRecord(b)) {
    for (const [k, v] of Object.entries(b)) a[k] = mergeErrors(a[k], v);
    return a;
  }
  if (isErrorList(a) && isErrorList(b)) {
    for (const [i, v] of b.items) a.items.set(i, mergeErrors(a.items.get(i), v));
    return a;
  }
  return b;
}

/**
 * Kong JSON encoding (lua-cjson): a list becomes an array padded with null, unless it is
 * "excessively sparse" (highest index > 10 and > 2 × count), which Kong encodes as an
 * object keyed by the 1-based Lua index.
 */
export function errorTreeToJson(t: ErrorTree): unknown {
  if (typeof t === "string") return t;
  if (t instanceof ErrorList) {
    const max = t.items.size === 0 ? -1 : Math.max(...t.items.keys());
    const luaMax = max + 1;
    if (luaMax > 10 && luaMax > 2 * t.items.size) {
      const obj: Record<string, unknown> = {};
      for (const i of [...t.items.keys()].sort((x, y) => x - y))
        obj[String(i + 1)] = errorTreeToJson(t.items.get(i)!);
      return obj;
    }
    const arr: unknown[] = [];
    for (let i = 0; i <= max; i++) {
      const v = t.items.get(i);
      arr.push(v === undefined ? null : errorTreeToJson(v));
    }
    return arr;
  }
  const obj: Record<string, unknown> = {};
  for (const k of Object.keys(t).sort()) obj[k] = errorTreeToJson(t[k]!);
  return obj;
}

const LUA_IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Penlight `pretty.write(t, space)` as Kong prints error trees inside messages: on one line
 * with `space` "" (`{a="x",b={"y"}}`), else one entry a line, indented by `space`.
 */
export function errorTreeToLua(t: ErrorTree, space = ""): string {
  return luaTable(t, space, "");
}

function luaTable(t: ErrorTree, space: string, indent: string): string {
  if (typeof t === "string") return luaQuote(t);
  const inner = indent + space;
  const set = space === "" ? "=" : " = ";
  let entries: string[];
  if (t instanceof ErrorList) {
    const keys = [...t.items.keys()].sort((x, y) => x - y);
    const dense = keys.every((k, i) => k === i);
    entries = keys.map((k) => {
      const v = luaTable(t.items.get(k)!, space, inner);
      return dense ? v : `[${k + 1}]${set}${v}`;
    });
  } else {
    entries = Object.keys(t)
      .sort()
      .map((k) => `${LUA_IDENT.test(k) ? k : `[${luaQuote(k)}]`}${set}${luaTable(t[k]!, space, inner)}`);
  }
  if (space === "") return `{${entries.join(",")}}`;
  return `{\n${entries.map((e) => inner + e).join(",\n")}\n${indent}}`;
}

function luaQuote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
