/**
 * Form arguments nested as Kong's Admin API nests them (kong/api/arguments_decoder.lua and
 * the `combine` step of kong/api/arguments.lua): a name is split on dots outside brackets,
 * each piece into a parameter and its `[key]` / `[n]` / `[]` keys, so `config.minute=5`,
 * `headers[x-id]=a`, `paths[]=/a&paths[]=/b`, `sources[1].ip=…` become nested maps and
 * lists; then the arguments are merged, a repeated name making a list. Values stay
 * strings (or `true` for a bare url-encoded key): typing them is the schema's job
 * (body-infer.ts).
 *
 * Lua tables are modelled as `ArgTable`s (integer and string keys, in insertion order) and
 * turned into JSON values at the end: a table keyed exactly 1..n is a list, any other an
 * object, so a body mixing spellings Kong cannot reconcile fails the schema as in Kong.
 * Arguments are taken in the order they came (Kong's hash order is unspecified).
 */
import { setOwn } from "../config/schema/fields.js";

/** One field of a form as sent: `true` is a url-encoded name without `=`. */
export interface FormField {
  name: string;
  value: string | true;
}

type ArgValue = string | true | ArgTable;

type ArgKey = string | number;

/** A Lua table: string keys (maps) and integer keys (list positions). */
export class ArgTable {
  readonly entries = new Map<ArgKey, ArgValue>();

  static list(values: readonly ArgValue[]): ArgTable {
    const table = new ArgTable();
    values.forEach((v, i) => {
      table.entries.set(i + 1, v);
    });
    return table;
  }

  /** Lua's `#t` (the first border, so it is deterministic). */
  length(): number {
    let n = 0;
    while (this.entries.has(n + 1)) n++;
    return n;
  }

  /** The table at `key`, created when absent (a list position or map key on the way). */
  descend(key: ArgKey): ArgTable {
    const existing = this.entries.get(key);
    if (existing instanceof ArgTable) return existing;
    const table = new ArgTable();
    this.entries.set(key, table);
    return table;
  }
}

const LUA_SPACE = new Set([" ", "\t", "\n", "\v", "\f", "\r"]);

/**
 * Kong's `tonumber`: decimal (with exponent) or hex integers, surrounding whitespace
 * allowed. (Trimmed by hand and matched by unambiguous patterns: linear on any input.)
 */
export function luaNumber(text: string): number | null {
  let start = 0;
  let end = text.length;
  while (start < end && LUA_SPACE.has(text[start]!)) start++;
  while (end > start && LUA_SPACE.has(text[end - 1]!)) end--;
  const s = text.slice(start, end);
  if (/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]+)$/.exec(s);
  if (hex) return (hex[1] === "-" ? -1 : 1) * Number.parseInt(hex[2]!, 16);
  return null;
}

/** A key segment as a list position (`[]` → "append", `[2]` → 2) or a map key. */
function segmentKey(segment: string): ArgKey | "append" {
  if (segment === "") return "append";
  const n = luaNumber(segment);
  return n !== null && Number.isInteger(n) ? n : segment;
}

/** Index of the first `]` at or after each position (so bracket scans stay linear). */
function closingBrackets(name: string): Int32Array {
  const next = new Int32Array(name.length + 1).fill(-1);
  for (let i = name.length - 1; i >= 0; i--) next[i] = name[i] === "]" ? i : next[i + 1]!;
  return next;
}

/**
 * Split on dots outside brackets (Kong's `([^.](?:\[[^\]]*\])*)+`): a piece is a run of
 * non-dot characters, where `[` opens a group up to the next `]` that may hold dots.
 */
function pieces(name: string): string[] {
  const close = closingBrackets(name);
  const out: string[] = [];
  let start = -1;
  let i = 0;
  while (i < name.length) {
    if (name[i] === ".") {
      if (start >= 0) out.push(name.slice(start, i));
      start = -1;
      i++;
      continue;
    }
    if (start < 0) start = i;
    i++;
    while (name[i] === "[" && close[i]! > i) i = close[i]! + 1;
  }
  if (start >= 0) out.push(name.slice(start));
  return out;
}

/**
 * A piece's parameter and keys (Kong's get_param_name_and_keys): the keys start at the
 * first `[` or `.` after the first character; `[x]` and `.x` are keys, anything else is
 * skipped. Null when there are no keys (the piece is a plain name).
 */
function paramAndKeys(piece: string): string[] | null {
  const first = piece.slice(1).search(/[[.]/);
  if (first < 0) return null;
  const at = first + 1;
  const close = closingBrackets(piece);
  const keys: string[] = [];
  let i = at;
  while (i < piece.length) {
    if (piece[i] === "." && i + 1 < piece.length && piece[i + 1] !== "[" && piece[i + 1] !== ".") {
      let end = i + 1;
      while (end < piece.length && piece[end] !== "[" && piece[end] !== ".") end++;
      keys.push(piece.slice(i + 1, end));
      i = end;
    } else if (piece[i] === "[" && close[i]! > i) {
      keys.push(piece.slice(i + 1, close[i]!));
      i = close[i]! + 1;
    } else {
      i++;
    }
  }
  return keys.length === 0 ? null : [piece.slice(0, at), ...keys];
}

/**
 * Kong's nest_path: set `value` at `path` inside `container`; the table where a following
 * piece continues. A list position on the way (`x[1][a]`) is entered (`[]` as position 1),
 * a trailing `[]` appends (a list value element by element).
 */
function nest(container: ArgTable, path: readonly string[], value: ArgValue): ArgTable | null {
  let node = container;
  for (let i = 0; i < path.length; i++) {
    const key = segmentKey(path[i]!);
    const last = i === path.length - 1;
    if (!last) {
      node = node.descend(key === "append" ? 1 : key);
      continue;
    }
    if (key !== "append") {
      node.entries.set(key, value);
      return value instanceof ArgTable ? value : null;
    }
    if (value instanceof ArgTable) {
      // Kong inserts a list's elements; an empty table (a piece followed by more) adds nothing
      // and the next piece goes into the list itself (`x[].y` is `x.y`)
      for (const [k, v] of value.entries) if (typeof k === "number") node.entries.set(k, v);
      return node;
    }
    node.entries.set(node.length() + 1, value);
    return null;
  }
  return null;
}

/** One piece into `container`: a plain name, or a parameter with keys. */
function decodePiece(piece: string, value: ArgValue, container: ArgTable): ArgTable | null {
  const path = paramAndKeys(piece);
  if (path === null) {
    container.entries.set(piece, value);
    return value instanceof ArgTable ? value : null;
  }
  return nest(container, path, value);
}

/**
 * `%5B…%5D` (either case) as `[…]`, each `%5B` up to the next `%5D` (Kong's
 * `%5B(.*?)%5D` replaced, scanned once rather than by a regex that rescans the rest of the
 * name for every unclosed `%5B`).
 */
function unescapeBrackets(name: string): string {
  const lower = name.toLowerCase();
  let out = "";
  let from = 0;
  for (;;) {
    const open = lower.indexOf("%5b", from);
    const close = open < 0 ? -1 : lower.indexOf("%5d", open + 3);
    if (close < 0) return out + name.slice(from);
    out += `${name.slice(from, open)}[${name.slice(open + 3, close)}]`;
    from = close + 3;
  }
}

/** Kong's decode_arg: one argument as a table of its own. */
function decodeArgument(rawName: string, value: ArgValue): ArgTable {
  const out = new ArgTable();
  // Kong answers a leading or trailing dot with a literal `name` key (a slip in its code);
  // the name is kept whole here, so the schema names the odd key in its error
  if (/^\.|\.$/.test(rawName)) {
    out.entries.set(rawName, value);
    return out;
  }
  const name = unescapeBrackets(rawName);
  const parts = pieces(name);
  if (parts.length === 0) {
    decodePiece(name, value, out);
    return out;
  }
  let bucket: ArgTable | null = out;
  for (let i = 0; i < parts.length && bucket !== null; i++) {
    const last = i === parts.length - 1;
    bucket = decodePiece(parts[i]!, last ? value : new ArgTable(), bucket);
  }
  return out;
}

/** Kong's combine_arg: merge `arg` into `to`; values meeting a value make a list. */
function combine(to: ArgTable, arg: ArgValue): void {
  if (!(arg instanceof ArgTable)) {
    to.entries.set(to.length() + 1, arg);
    return;
  }
  for (const [key, value] of arg.entries) {
    const existing = to.entries.get(key);
    if (existing === undefined) {
      to.entries.set(key, value);
    } else if (existing instanceof ArgTable) {
      combine(existing, value);
    } else {
      const list = ArgTable.list([existing]);
      to.entries.set(key, list);
      combine(list, value);
    }
  }
}

/** A table as JSON: keyed exactly 1..n → a list, else an object (cjson would send a mixed one as a map). */
function toJson(value: ArgValue): unknown {
  if (!(value instanceof ArgTable)) return value;
  const size = value.entries.size;
  if (size > 0 && value.length() === size) {
    return Array.from({ length: size }, (_, i) => toJson(value.entries.get(i + 1)!));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of value.entries) setOwn(out, String(k), toJson(v));
  return out;
}

/**
 * The fields of a form as the nested object Kong's Admin API hands to its schema. Fields
 * of one name are one argument holding a list (as ngx reads a form), in the order sent.
 */
export function nestArguments(fields: readonly FormField[]): Record<string, unknown> {
  const byName = new Map<string, ArgValue[]>();
  for (const { name, value } of fields) {
    const values = byName.get(name);
    if (values) values.push(value);
    else byName.set(name, [value]);
  }
  const merged = new ArgTable();
  for (const [name, values] of byName) {
    combine(merged, decodeArgument(name, values.length === 1 ? values[0]! : ArgTable.list(values)));
  }
  const out = toJson(merged);
  // a body whose only names are list positions ("1", "2"…) is still an object of fields
  if (Array.isArray(out)) return Object.fromEntries(out.map((v, i) => [String(i + 1), v]));
  return out as Record<string, unknown>;
}
