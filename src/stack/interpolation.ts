/**
 * The Compose variable template language (compose-spec "Interpolation", compose-go's `template`
 * package): `$VAR`, `${VAR}`, `${VAR:-default}` / `${VAR-default}`, `${VAR:?error}` /
 * `${VAR?error}`, `${VAR:+replacement}` / `${VAR+replacement}`, `$$` for a literal `$`. Defaults and
 * replacements may nest further expressions. The compose files' values (src/runtime/compose/interpolate.ts)
 * and the .env file's (env-file.ts) are both read with it, as Compose reads both.
 */

export type VariableLookup = (name: string) => string | undefined;

export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "InterpolationError";
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface Ctx {
  lookup: VariableLookup;
  path: string;
  /** Names referenced without a value or default (Compose warns "not set, defaulting to a blank string"). */
  unset: Set<string>;
}

/** Interpolate one string. */
export function interpolateString(
  text: string,
  lookup: VariableLookup,
  path = "",
  unset = new Set<string>(),
): string {
  const ctx: Ctx = { lookup, path, unset };
  const [out, end] = expand(text, 0, ctx, false);
  if (end !== text.length) throw new InterpolationError(`invalid interpolation format in '${text}'`, path);
  return out;
}

/**
 * Expands `text` from `pos`. When `inBraces` is true (a default/replacement inside `${…}`), stops at
 * the matching `}` and returns its index; otherwise runs to the end.
 */
function expand(text: string, pos: number, ctx: Ctx, inBraces: boolean): [string, number] {
  let out = "";
  let i = pos;
  while (i < text.length) {
    const ch = text[i];
    if (inBraces && ch === "}") return [out, i];
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const [value, end] = braced(text, i + 2, ctx);
      out += value;
      i = end + 1;
      continue;
    }
    const m = NAME.exec(text.slice(i + 1));
    if (m) {
      out += resolvePlain(m[0], ctx);
      i += 1 + m[0].length;
      continue;
    }
    // A lone `$` (e.g. at the end, or before a character that cannot start a name) stays literal.
    out += "$";
    i++;
  }
  if (inBraces) throw new InterpolationError(`missing closing '}' in '${text}'`, ctx.path);
  return [out, i];
}

/** Parses `NAME[op word]}` starting after `${`; returns the value and the index of the closing brace. */
function braced(text: string, pos: number, ctx: Ctx): [string, number] {
  const m = NAME.exec(text.slice(pos));
  if (!m)
    throw new InterpolationError(
      `invalid interpolation format in '${text}': expected a variable name after '\${'`,
      ctx.path,
    );
  const name = m[0];
  let i = pos + name.length;
  if (text[i] === "}") return [resolvePlain(name, ctx), i];
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(text.slice(i))?.[0];
  if (!op)
    throw new InterpolationError(`invalid interpolation format in '${text}' after '\${${name}'`, ctx.path);
  i += op.length;
  const [word, end] = expand(text, i, ctx, true);
  const value = ctx.lookup(name);
  const colon = op.startsWith(":");
  const missing = value === undefined || (colon && value === "");
  switch (op.replace(":", "")) {
    case "-":
      return [missing ? word : (value as string), end];
    case "?":
      if (missing) {
        const why = word || (colon ? "is required and must not be empty" : "is required");
        throw new InterpolationError(`required variable ${name} is missing a value: ${why}`, ctx.path);
      }
      return [value as string, end];
    default:
      // "+": replacement when set
      return [missing ? "" : word, end];
  }
}

function resolvePlain(name: string, ctx: Ctx): string {
  const value = ctx.lookup(name);
  if (value === undefined) {
    ctx.unset.add(name);
    return "";
  }
  return value;
}
