/**
 * Compose value units: Go-style durations ("1m30s", "500ms") and byte sizes ("512m", "1.5g", "512MiB"),
 * converted to the numbers the Docker Engine API takes.
 */

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go duration string (or a number of seconds) → nanoseconds; throws on anything else. */
export function parseDuration(value: string | number): number {
  if (typeof value === "number") return Math.round(value * 1e9);
  const text = value.trim();
  if (text === "0") return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) {
    throw new Error(`invalid duration '${value}' (expected e.g. 10s, 1m30s, 500ms)`);
  }
  return Math.round(total);
}

/** Binary multipliers, as docker/go-units' RAMInBytes (what Compose uses for mem_limit, shm_size, …). */
const BYTE_PREFIXES: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/** A decimal number as Go's strconv.ParseFloat reads it ("1", "1.5", ".5", "5.", "1e3", "-0"); hex, inf and nan refused. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function invalidSize(value: string, why: string): Error {
  return new Error(`invalid byte size '${value}': ${why} (expected e.g. 512m, 1.5g, 100kb, 512MiB)`);
}

/**
 * Byte size → bytes, as Compose reads it (docker/go-units RAMInBytes): a number, then optionally one
 * space, then a unit: `b`, or `k`/`m`/`g`/`t`/`p` (powers of 1024) alone or followed by `b` or `ib`,
 * any case — `512m`, `512MiB`, `1.5g`, `100kb`, `1p`, `32 B`. Fractions are truncated toward zero;
 * negative sizes are refused. A number (YAML integer) is bytes. Throws on anything else.
 */
export function parseBytes(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw invalidSize(String(value), "not a size");
    return Math.trunc(value);
  }
  let num: string;
  let suffix: string;
  const space = value.indexOf(" ");
  if (space >= 0) {
    num = value.slice(0, space);
    suffix = value.slice(space + 1);
  } else {
    // the suffix starts after the last digit or dot
    const cut = Math.max(...[..."0123456789."].map((c) => value.lastIndexOf(c)));
    if (cut < 0) throw invalidSize(value, "no number");
    num = value.slice(0, cut + 1);
    suffix = value.slice(cut + 1);
  }
  if (!NUMBER.test(num)) throw invalidSize(value, `'${num}' is not a number`);
  let size = Number(num);
  if (size < 0) throw invalidSize(value, "negative");
  const unit = suffix.toLowerCase();
  if (unit === "" || unit === "b") return Math.trunc(size) + 0;
  const multiplier = BYTE_PREFIXES[unit[0] as string];
  const rest = unit.slice(1);
  if (multiplier === undefined || unit.length > 3 || !(rest === "" || rest === "b" || rest === "ib")) {
    throw invalidSize(value, `unknown unit '${suffix}'`);
  }
  size *= multiplier;
  return Math.trunc(size) + 0;
}

/** A positive integer from a YAML value that may have been a string after interpolation. */
export function toInt(value: unknown, what: string): number {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n))
    throw new Error(`${what} must be an integer, got '${String(value)}'`);
  return n;
}

/** YAML booleans that may have become strings after interpolation. */
export function toBool(value: unknown, what: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "True" || value === "TRUE") return true;
  if (value === "false" || value === "False" || value === "FALSE") return false;
  throw new Error(`${what} must be true or false, got '${String(value)}'`);
}
