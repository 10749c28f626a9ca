/**
 * Kong's paginated Admin API lists (kong/api/endpoints.lua, kong/db/dao/init.lua, the
 * DB-less strategy): `size` (1..1000, default 100, read as Lua's tonumber reads it), an
 * opaque base64 `offset`, the `tags` filter (`a,b` needs both, `a/b` either, at most 5),
 * checked in Kong's order and refused with Kong's codes; the envelope
 * `{ "data": [...], "next": null | "<path>?offset=…", "offset"?: … }`.
 */
import { type DbError, dbError, invalidOptions } from "./errors.js";

const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 100;
const MAX_TAGS = 5;

/** A tag: printable ASCII but `,` and `/`, or any non-ASCII character (Kong's tag bytes). */
const TAG = "[\\x20-\\x2B\\x2D\\x2E\\x30-\\x7E\\u{80}-\\u{D7FF}\\u{E000}-\\u{10FFFF}]+";
const TAGS_AND = new RegExp(`^(?:${TAG}(?:,|$))+$`, "u");
const TAGS_OR = new RegExp(`^(?:${TAG}(?:/|$))+$`, "u");

/** Lua's tonumber on a string: decimal (exponent allowed) or hex, surrounding blanks ignored. */
export function luaNumber(text: string): number | null {
  const s = text.trim();
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(s)) return Number(s);
  const hex = /^([-+]?)0[xX]([0-9a-fA-F]+)$/.exec(s);
  if (hex) return (hex[1] === "-" ? -1 : 1) * Number.parseInt(hex[2]!, 16);
  return null;
}

type TagFilter = (tags: readonly string[] | null) => boolean;

interface PageQuery {
  size: number;
  start: number;
  /** keyed pages: the last key of the previous page */
  after: string | null;
  filter: TagFilter | null;
}

/** The page the query asks for, or Kong's error (tags, size, options, offset: Kong's order). */
function readPageQuery(
  query: URLSearchParams,
  keyed = false,
): { ok: true; page: PageQuery } | { ok: false; error: DbError } {
  const tags = query.get("tags");
  if (tags === "") return { ok: false, error: invalidOptions({ tags: "cannot be null" }) };

  let size = DEFAULT_PAGE_SIZE;
  const sizeParam = query.get("size");
  if (sizeParam !== null) {
    const n = luaNumber(sizeParam);
    if (n === null) return { ok: false, error: dbError("INVALID_SIZE", "size must be a number") };
    if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
      return {
        ok: false,
        error: dbError("INVALID_SIZE", `size must be an integer between 1 and ${MAX_PAGE_SIZE}`),
      };
    }
    size = n;
  }

  let filter: TagFilter | null = null;
  if (tags !== null) {
    const and = TAGS_AND.test(tags);
    if (!and && !TAGS_OR.test(tags))
      return { ok: false, error: invalidOptions({ tags: "invalid filter syntax" }) };
    const wanted = tags.split(and ? "," : "/");
    if (wanted.length > MAX_TAGS)
      return { ok: false, error: invalidOptions({ tags: "cannot query more than 5 tags" }) };
    filter = and
      ? (has) => has !== null && wanted.every((t) => has.includes(t))
      : (has) => has !== null && wanted.some((t) => has.includes(t));
  }

  let start = 0;
  let after: string | null = null;
  const offset = query.get("offset");
  if (offset !== null && keyed) {
    after = decodeKey(offset);
    if (after === null) {
      return {
        ok: false,
        error: dbError("INVALID_OFFSET", `'${offset}' is not a valid offset: bad base64 encoding`),
      };
    }
  } else if (offset !== null) {
    const position = decodeOffset(offset);
    if (position === null) {
      return {
        ok: false,
        error: dbError("INVALID_OFFSET", `'${offset}' is not a valid offset: bad base64 encoding`),
      };
    }
    start = position;
  }
  return { ok: true, page: { size, start, after, filter } };
}

/** Keyed offsets: the base64 (unpadded) of the key, marked so a positional offset is told apart. */
function encodeKey(key: string): string {
  return Buffer.from(`k:${key}`).toString("base64").replace(/=+$/, "");
}

function decodeKey(offset: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(offset) || offset.replace(/=+$/, "").length % 4 === 1) return null;
  const decoded = Buffer.from(offset, "base64").toString("utf8");
  return decoded.startsWith("k:") && decoded.length > 2 ? decoded.slice(2) : null;
}

/** Index of the first item whose key sorts after `key` (binary search over the sorted items). */
function firstAfter<T>(items: readonly T[], keys: PageKeys<T>, key: string): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys.keyOf(items[mid]!) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Offsets are the base64 (unpadded) of the next position. */
function encodeOffset(position: number): string {
  return Buffer.from(String(position)).toString("base64").replace(/=+$/, "");
}

function decodeOffset(offset: string): number | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(offset) || offset.replace(/=+$/, "").length % 4 === 1) return null;
  const decoded = Buffer.from(offset, "base64").toString("latin1");
  return /^\d+$/.test(decoded) ? Number(decoded) : null;
}

/** ngx.escape_uri: everything but letters, digits and `-._~` percent-encoded. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Database mode: pages by key, as Kong's PostgreSQL strategy pages by primary key — the offset is
 * the last key shown, the next page the items after it, so a write between two pages neither
 * repeats nor skips an entity. Items must come sorted by `keyOf` (ascending, as strings).
 */
export interface PageKeys<T> {
  keyOf(item: T): string;
}

export interface ListRequest {
  query: URLSearchParams;
  /** The list's path (`/services`, `/services/orders/routes`). */
  path: string;
  /**
   * Top-level lists repeat `tags` and `size` in `next` (`/services?offset=…&tags=…&size=…`);
   * nested ones carry the offset alone, as Kong builds them.
   */
  topLevel: boolean;
}

export type PageResult = { ok: true; body: Record<string, unknown> } | { ok: false; error: DbError };

/** One page of `items` (Kong's order), each shown through `view`. */
export function paginate<T extends { tags: readonly string[] | null }>(
  items: readonly T[],
  view: (item: T) => Record<string, unknown>,
  request: ListRequest,
  keys?: PageKeys<T>,
): PageResult {
  const read = readPageQuery(request.query, keys !== undefined);
  if (!read.ok) return read;
  const { size, filter } = read.page;
  const selected = filter ? items.filter((e) => filter(e.tags)) : items;
  const after = read.page.after;
  const start = keys && after !== null ? firstAfter(selected, keys, after) : read.page.start;
  const body: Record<string, unknown> = { data: selected.slice(start, start + size).map(view), next: null };
  if (start + size < selected.length) {
    const offset = keys ? encodeKey(keys.keyOf(selected[start + size - 1]!)) : encodeOffset(start + size);
    let next = `${request.path}?offset=${escapeUri(offset)}`;
    if (request.topLevel) {
      const tags = request.query.get("tags");
      const sizeParam = request.query.get("size");
      if (tags !== null) next += `&tags=${escapeUri(tags)}`;
      if (sizeParam !== null) next += `&size=${sizeParam}`;
    }
    body.next = next;
    body.offset = offset;
  }
  return { ok: true, body };
}
