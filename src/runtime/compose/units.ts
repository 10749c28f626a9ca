/**
 * Compose value units: Go-style durations ("1m30s", "500ms") and byte sizes ("512m", "1.5g"),
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

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** Byte size ("512m", "1g", 1048576) → bytes; throws on anything else. */
export function parseBytes(value: string | number): number {
  if (typeof value === "number") return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m ? BYTE_UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`invalid byte size '${value}' (expected e.g. 512m, 1g)`);
  return Math.round(Number(m[1]) * unit);
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
