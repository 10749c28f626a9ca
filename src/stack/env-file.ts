import { GatestackError } from "../errors.js";

/**
 * The stack's .env file: `KEY=value` lines as Docker Compose reads them. Values may be bare,
 * 'single-quoted' (literal) or "double-quoted" (\n \t \" \\ escapes, may span lines);
 * `#` starts a comment at the beginning of a line or after whitespace in a bare value.
 */

export interface EnvEntry {
  key: string;
  value: string;
  /** Comment lines written above the entry (without the leading `# `). */
  comment?: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const BARE_SAFE = /^[A-Za-z0-9_\-.:/+=@,]*$/;

/** Parse .env text; a malformed line throws E_ENV_INVALID naming `file:line:col`. */
export function parseEnvFile(text: string, file = ".env"): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const body = line.startsWith("export ") ? line.slice(7).trimStart() : line;
    const bodyCol = raw.length - body.length + 1;
    const eq = body.indexOf("=");
    const fail = (message: string, col = bodyCol): never => {
      throw new GatestackError("E_ENV_INVALID", message, { place: `${file}:${i + 1}:${col}` });
    };
    if (eq < 0) fail("expected KEY=value");
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) fail(`invalid variable name "${key}"`);
    let rest = body.slice(eq + 1).trimStart();
    const valueCol = raw.length - rest.length + 1;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) fail("unterminated single-quoted value", valueCol);
      values[key] = rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      // A double-quoted value may continue on the following lines.
      const startLine = i;
      let end = closingQuote(rest);
      while (end < 0 && i + 1 < lines.length) {
        i++;
        rest += `\n${lines[i]}`;
        end = closingQuote(rest);
      }
      if (end < 0) {
        i = startLine;
        fail("unterminated double-quoted value", valueCol);
      }
      values[key] = unescapeDouble(rest.slice(1, end));
    } else {
      values[key] = rest.replace(/\s+#.*$/, "").trim();
    }
  }
  return values;
}

function closingQuote(s: string): number {
  for (let j = 1; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };
  return s.replace(/\\(.)/g, (whole, c: string) => map[c] ?? whole);
}

/** A value as written in .env: bare when safe, otherwise quoted so it reads back unchanged. */
export function quoteEnvValue(value: string): string {
  if (BARE_SAFE.test(value)) return value;
  if (!value.includes("'") && !/[\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t")}"`;
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
