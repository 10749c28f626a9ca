import { GatestackError } from "../errors.js";
import { InterpolationError, interpolateString } from "./interpolation.js";

/**
 * The stack's .env file read as Docker Compose v2 reads it (compose-go's `dotenv` package):
 *  - `KEY=value` (or `KEY: value`), `export KEY=value`; a `KEY` alone takes its value from the
 *    environment when set there; blank lines and lines starting with `#` are skipped;
 *  - bare values end at the line's end or at ` #` (an inline comment), trailing blanks trimmed;
 *  - 'single-quoted' values are literal (may span lines, `\'` is a quote);
 *  - "double-quoted" values may span lines and know the escapes \a \b \f \n \r \t \v \\ \" \$ \0NNN;
 *  - bare and double-quoted values are interpolated (`${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 *    `${VAR:?error}`, `${VAR:+alt}`, `$$`, src/stack/interpolation.ts) from the process environment
 *    first, then the keys defined above them in the file — Compose's precedence, so `stack up` and
 *    `docker compose` read the same values.
 */

export interface EnvEntry {
  key: string;
  value: string;
  /** Comment lines written above the entry (without the leading `# `). */
  comment?: string[];
}

export interface ParseEnvOptions {
  /**
   * The variables consulted first by `${VAR}` and bare `KEY` lines (Compose: the process environment;
   * for a service's env_file, the project's variables), as a map or a lookup.
   */
  environment?: Record<string, string | undefined> | ((name: string) => string | undefined);
  /** Collects the names referenced but set nowhere (Compose warns "not set, defaulting to a blank string"). */
  unset?: Set<string>;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.\-[\]]*$/;
const KEY_CHAR = /[\p{L}\p{N}_.\-[\]]/u;
const BARE_SAFE = /^[A-Za-z0-9_\-.:/+=@,]*$/;
const DOUBLE_ESCAPES: Record<string, string> = {
  a: "\u0007",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  '"': '"',
  "\\": "\\",
  $: "$$",
};

/**
 * Parse .env text; a malformed line or a failing `${VAR:?error}` throws E_ENV_INVALID naming
 * `file:line:col`.
 */
export function parseEnvFile(
  text: string,
  file = ".env",
  opts: ParseEnvOptions = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  const given = opts.environment ?? {};
  const env = typeof given === "function" ? given : (name: string) => given[name];
  const lookup = (name: string): string | undefined => env(name) ?? values[name];
  const src = text.replace(/^\uFEFF/, "");
  const lineStarts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === "\n") lineStarts.push(i + 1);
  const place = (offset: number): string => {
    let line = 0;
    while (line + 1 < lineStarts.length && (lineStarts[line + 1] as number) <= offset) line++;
    return `${file}:${line + 1}:${offset - (lineStarts[line] as number) + 1}`;
  };
  const fail = (message: string, offset: number): never => {
    throw new GatestackError("E_ENV_INVALID", message, { place: place(offset) });
  };
  const interpolate = (value: string, offset: number): string => {
    try {
      return interpolateString(value, lookup, "", opts.unset);
    } catch (err) {
      if (err instanceof InterpolationError) return fail(err.message, offset);
      throw err;
    }
  };

  let i = 0;
  while (i < src.length) {
    // Statement start: skip blanks and comment lines.
    while (i < src.length && /\s/.test(src[i] as string)) i++;
    if (i >= src.length) break;
    if (src[i] === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    const exported = /^export[ \t]+/.exec(src.slice(i, i + 20));
    if (exported) i += exported[0].length;
    const keyStart = i;
    // The key runs to `=`, `:` or the end of the line (a key alone: inherited from the environment).
    while (i < src.length && !"=:\n".includes(src[i] as string)) {
      const ch = src[i] as string;
      if (!KEY_CHAR.test(ch) && !/[ \t\r]/.test(ch)) {
        const lineEnd = src.indexOf("\n", keyStart);
        const whole = src.slice(keyStart, lineEnd < 0 ? src.length : lineEnd).trimEnd();
        fail(
          whole.includes("=")
            ? `invalid variable name "${whole.split("=")[0]?.trim()}"`
            : "expected KEY=value",
          keyStart,
        );
      }
      i++;
    }
    const key = src.slice(keyStart, i).trim();
    if (i >= src.length || src[i] === "\n") {
      if (!KEY.test(key)) fail("expected KEY=value", keyStart);
      const inherited = env(key);
      if (inherited !== undefined) values[key] = inherited;
      continue;
    }
    if (!KEY.test(key)) fail(`invalid variable name "${key}"`, keyStart);
    i++; // `=` or `:`
    while (i < src.length && /[ \t\r\f\v]/.test(src[i] as string)) i++;
    const valueStart = i;
    const quote = src[i];
    if (quote === "'" || quote === '"') {
      let chars = "";
      let escaped = false;
      let end = -1;
      for (let j = i + 1; j < src.length; j++) {
        const ch = src[j] as string;
        if (ch !== quote) {
          if (!escaped && ch === "\\") {
            escaped = true;
            continue;
          }
          if (escaped) {
            escaped = false;
            chars += "\\";
          }
          chars += ch;
          continue;
        }
        if (escaped) {
          // \" in double quotes, \' in single quotes: the quote itself.
          escaped = false;
          chars += ch;
          continue;
        }
        end = j;
        break;
      }
      if (end < 0) fail(`unterminated ${quote === "'" ? "single" : "double"}-quoted value`, valueStart);
      values[key] = quote === '"' ? interpolate(expandEscapes(chars), valueStart) : chars;
      // What follows the closing quote on its line (blanks, a comment) is ignored.
      const lineEnd = src.indexOf("\n", end);
      i = lineEnd < 0 ? src.length : lineEnd + 1;
      continue;
    }
    const lineEnd = src.indexOf("\n", i);
    let raw = src.slice(i, lineEnd < 0 ? src.length : lineEnd);
    const comment = raw.indexOf(" #");
    if (comment >= 0) raw = raw.slice(0, comment);
    values[key] = interpolate(raw.trimEnd(), valueStart);
    i = lineEnd < 0 ? src.length : lineEnd + 1;
  }
  return values;
}

/** Compose's escapes in double quotes; others keep their backslash. `\$` becomes `$$` (a literal `$`). */
function expandEscapes(s: string): string {
  return s.replace(/\\([abfnrtv$"\\]|0[0-7]{0,3})/g, (_whole, c: string) =>
    c.startsWith("0")
      ? String.fromCharCode(Number.parseInt(c.slice(1) || "0", 8))
      : (DOUBLE_ESCAPES[c] as string),
  );
}

/** A value as written in .env: bare when safe, otherwise quoted so it reads back unchanged. */
export function quoteEnvValue(value: string): string {
  if (BARE_SAFE.test(value)) return value;
  if (!/['\\\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\$/g, "\\$").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
}

/** Serialize entries (with their comments) under an optional header comment. */
export function serializeEnvFile(entries: readonly EnvEntry[], header: readonly string[] = []): string {
  const out: string[] = header.map((line) => (line === "" ? "#" : `# ${line}`));
  if (out.length > 0) out.push("");
  for (const entry of entries) {
    if (!KEY.test(entry.key)) throw new Error(`invalid .env variable name "${entry.key}"`);
    for (const line of entry.comment ?? []) out.push(`# ${line}`);
    out.push(`${entry.key}=${quoteEnvValue(entry.value)}`);
  }
  return `${out.join("\n")}\n`;
}
