/**
 * Kong's request-transformer templates: `$(expression)` inside a config value is
 * replaced by the expression's value. Supported expressions are the Lua subset Kong's
 * docs use: `headers.name`, `headers["X-Name"]`, `query_params.name`,
 * `uri_captures.name`, `uri_captures[1]`, `shared.name`, string literals, and `a or b`
 * fallbacks. `\$(` is a literal `$(`. Header lookups ignore case and accept `_` for `-`.
 */

export interface TemplateEnvironment {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query_params: URLSearchParams;
  uri_captures: Readonly<Record<string, string>>;
  shared: ReadonlyMap<string, unknown>;
}

type Segment = { text: string } | { expr: Expr };
type Expr =
  | { kind: "literal"; value: string }
  | { kind: "path"; root: string; keys: string[] }
  | { kind: "or"; options: Expr[] };

export class TemplateError extends Error {}

const ROOTS = new Set(["headers", "query_params", "uri_captures", "shared"]);

function parseExpression(source: string): Expr {
  let pos = 0;
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos]!)) pos++;
  };
  const fail = (what: string): never => {
    throw new TemplateError(`${what} at position ${pos + 1} of "${source}"`);
  };
  const readString = (): string => {
    const quote = source[pos]!;
    let out = "";
    pos++;
    while (pos < source.length && source[pos] !== quote) {
      if (source[pos] === "\\" && pos + 1 < source.length) pos++;
      out += source[pos];
      pos++;
    }
    if (source[pos] !== quote) fail("unterminated string");
    pos++;
    return out;
  };
  const readIdent = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(pos));
    if (!m) return fail("expected a name");
    pos += m[0].length;
    return m[0];
  };
  const primary = (): Expr => {
    skipSpace();
    const c = source[pos];
    if (c === '"' || c === "'") return { kind: "literal", value: readString() };
    if (c !== undefined && /[0-9]/.test(c)) {
      const m = /^[0-9.]+/.exec(source.slice(pos))!;
      pos += m[0].length;
      return { kind: "literal", value: m[0] };
    }
    const root = readIdent();
    if (!ROOTS.has(root)) fail(`unknown name '${root}'`);
    const keys: string[] = [];
    for (;;) {
      skipSpace();
      if (source[pos] === ".") {
        pos++;
        skipSpace();
        keys.push(readIdent());
      } else if (source[pos] === "[") {
        pos++;
        skipSpace();
        const k = source[pos];
        if (k === '"' || k === "'") keys.push(readString());
        else {
          const m = /^[0-9]+/.exec(source.slice(pos));
          if (!m) fail("expected a string or an index");
          pos += m![0].length;
          keys.push(m![0]);
        }
        skipSpace();
        if (source[pos] !== "]") fail("expected ']'");
        pos++;
      } else break;
    }
    if (keys.length !== 1) fail(`expected one key after '${root}'`);
    return { kind: "path", root, keys };
  };
  const options = [primary()];
  for (;;) {
    skipSpace();
    if (!/^or\b/.test(source.slice(pos))) break;
    pos += 2;
    options.push(primary());
  }
  skipSpace();
  if (pos < source.length) fail("unexpected text");
  return options.length === 1 ? options[0]! : { kind: "or", options };
}

/** Split a template into text and expressions; throws TemplateError when malformed. */
export function compileTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    if (template.startsWith("\\$(", i)) {
      text += "$(";
      i += 3;
    } else if (template.startsWith("$(", i)) {
      let depth = 1;
      let j = i + 2;
      let quote: string | null = null;
      for (; j < template.length && depth > 0; j++) {
        const c = template[j]!;
        if (quote) {
          if (c === "\\") j++;
          else if (c === quote) quote = null;
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "(") depth++;
        else if (c === ")") depth--;
      }
      if (depth !== 0) throw new TemplateError(`unclosed '$(' in "${template}"`);
      if (text) segments.push({ text });
      text = "";
      segments.push({ expr: parseExpression(template.slice(i + 2, j - 1)) });
      i = j;
    } else {
      text += template[i];
      i++;
    }
  }
  if (text || segments.length === 0) segments.push({ text });
  return segments;
}

function lookup(env: TemplateEnvironment, root: string, key: string): string | undefined {
  if (root === "headers") {
    const lower = key.toLowerCase();
    const v = env.headers[lower] ?? env.headers[lower.replace(/_/g, "-")];
    return Array.isArray(v) ? v.join(", ") : v;
  }
  if (root === "query_params") {
    const all = env.query_params.getAll(key);
    return all.length === 0 ? undefined : all.join(",");
  }
  if (root === "uri_captures") return env.uri_captures[key];
  const v = env.shared.get(key);
  return v === undefined || v === null ? undefined : String(v);
}

function evaluate(expr: Expr, env: TemplateEnvironment): string | undefined {
  if (expr.kind === "literal") return expr.value;
  if (expr.kind === "path") return lookup(env, expr.root, expr.keys[0]!);
  for (const option of expr.options) {
    const v = evaluate(option, env);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Whether a value uses templates at all (cheap check before compiling). */
export function hasTemplate(value: string): boolean {
  return value.includes("$(");
}

export function renderTemplate(segments: readonly Segment[], env: TemplateEnvironment): string {
  let out = "";
  for (const s of segments) out += "text" in s ? s.text : (evaluate(s.expr, env) ?? "");
  return out;
}
