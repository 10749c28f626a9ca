/**
 * Parses the env-file format Compose reads for `env_file:` (and `.env`): `KEY=VALUE` lines,
 * optional `export `, `#` comments, single quotes (literal), double quotes (with \n, \t, \", \\ escapes,
 * may span lines), unquoted values trimmed and cut at ` #`. A line `KEY` alone means "unset here".
 */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = raw.trimStart();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=)?\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    if (!m[2]) continue;
    let value = m[3] as string;
    if (value.startsWith('"')) {
      let body = value.slice(1);
      // Multi-line double-quoted values continue until the closing quote.
      while (!/(^|[^\\])"/.test(body) && i + 1 < lines.length) body += `\n${lines[++i]}`;
      const end = findClosingQuote(body);
      value = unescapeDouble(body.slice(0, end < 0 ? body.length : end));
    } else if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      value = end < 0 ? value.slice(1) : value.slice(1, end);
    } else {
      const hash = value.search(/\s#/);
      value = (hash >= 0 ? value.slice(0, hash) : value).trim();
    }
    out[key] = value;
  }
  return out;
}

function findClosingQuote(body: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "\\") i++;
    else if (body[i] === '"') return i;
  }
  return -1;
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
}

/** Splits a command string into words like a POSIX shell would (quotes and backslashes, no expansion). */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in '${text}'`);
  if (inWord) words.push(cur);
  return words;
}
