/**
 * Regular expressions from the configuration — route paths (`~…`), route header values
 * (`~*…`), cors origins — matched in time linear in the input, whatever the pattern: with
 * a backtracking engine a route such as `~/(a+)+$` lets one short unauthenticated request
 * block the event loop for seconds.
 *
 * The engine is re2js, a pure-JavaScript port of RE2 (Go's regexp). Why this one:
 *  - V8's own linear engine (the `l` flag, or falling back to it on excessive backtracking)
 *    exists only behind node command-line flags, which a library embedding the gateway
 *    cannot count on;
 *  - the `re2` native addon needs its install script (node-gyp or a downloaded binary),
 *    which the image's `npm ci --ignore-scripts` does not run; re2-wasm is unmaintained;
 *  - static ReDoS checkers decide by heuristics: they miss some exponential or polynomial
 *    patterns and reject harmless ones.
 * re2js has no dependency and no install step. Its syntax is RE2's, the family of Rust's
 * regex crate that Kong 3's router (the ATC router behind `traditional_compatible`) matches
 * these same route fields with: look-around and backreferences cannot be matched in linear
 * time and are rejected when the configuration is loaded, as Kong 3 rejects them. Named
 * groups may be written `(?<name>…)` or `(?P<name>…)`.
 *
 * re2js (~260 kB of JavaScript) is loaded on the first pattern: a configuration without
 * regexes never loads it.
 */
import { createRequire } from "node:module";
import type * as Re2js from "re2js";

/** A compiled pattern: the subset of RegExp the gateway uses. */
export interface LinearRegex {
  /** Whether the pattern matches anywhere in `input` (RegExp.prototype.test). */
  test(input: string): boolean;
  /** The leftmost match with its groups, as RegExp.prototype.exec returns it (without `g`). */
  exec(input: string): RegExpExecArray | null;
}

export interface LinearRegexOptions {
  ignoreCase?: boolean;
}

/** A pattern the engine refuses; `reason` says why in words meant for the configuration's author. */
export class LinearRegexSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly reason: string,
  ) {
    super(`invalid regex: '${source}' (${reason})`);
    this.name = "LinearRegexSyntaxError";
  }
}

const requireCjs = createRequire(import.meta.url);
let engine: typeof Re2js.RE2JS | null = null;

function re2js(): typeof Re2js.RE2JS {
  if (engine === null) engine = (requireCjs("re2js") as typeof Re2js).RE2JS;
  return engine;
}

/** `(?=` `(?!` `(?<=` `(?<!` and `\1`…`\9` / `\k<name>` outside a character class. */
function usesLookaroundOrBackreference(source: string): boolean {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && (/[1-9]/.test(next) || next === "k")) return true;
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "(" && source[i + 1] === "?") {
      const after = source.slice(i + 2, i + 4);
      if (after[0] === "=" || after[0] === "!" || after === "<=" || after === "<!") return true;
    }
  }
  return false;
}

function reasonFor(source: string, err: unknown): string {
  if (usesLookaroundOrBackreference(source)) {
    return "look-around and backreferences are not supported: patterns are matched in linear time (RE2 syntax)";
  }
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^error parsing regexp: /, "");
}

/** Compile `source`; throws LinearRegexSyntaxError when the engine refuses it. */
export function compileLinearRegex(source: string, options: LinearRegexOptions = {}): LinearRegex {
  const RE2JS = re2js();
  try {
    const compiled = RE2JS.compile(source, options.ignoreCase === true ? RE2JS.CASE_INSENSITIVE : 0);
    return {
      test: (input) => compiled.test(input),
      // re2js's exec result has RegExpExecArray's shape (index, input, groups, undefined for unset groups)
      exec: (input) => compiled.exec(input) as RegExpExecArray | null,
    };
  } catch (err) {
    throw new LinearRegexSyntaxError(source, reasonFor(source, err));
  }
}

/**
 * `source` compiled on its first match (a compiled pattern holds ~8 kB: the router's thousands
 * of regex routes cost nothing until a request reaches them). For patterns the loader already
 * validated; one the engine refuses never matches.
 */
export function lazyLinearRegex(source: string, options: LinearRegexOptions = {}): LinearRegex {
  let compiled: LinearRegex | null = null;
  const get = (): LinearRegex => {
    if (compiled === null) {
      try {
        compiled = compileLinearRegex(source, options);
      } catch {
        compiled = NEVER_MATCHES;
      }
    }
    return compiled;
  };
  return { test: (input) => get().test(input), exec: (input) => get().exec(input) };
}

/** `invalid regex: '<source>' (<why>)` when the engine refuses `source`, else null. */
export function linearRegexError(source: string, options: LinearRegexOptions = {}): string | null {
  try {
    compileLinearRegex(source, options);
    return null;
  } catch (err) {
    if (err instanceof LinearRegexSyntaxError) return err.message;
    throw err;
  }
}

/** A pattern that never matches (what a refused pattern compiles to where no error can be reported). */
export const NEVER_MATCHES: LinearRegex = { test: () => false, exec: () => null };
