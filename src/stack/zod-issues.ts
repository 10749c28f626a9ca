import type { core } from "zod";
import { closest } from "./did-you-mean.js";
import type { IssueDraft } from "./issues.js";
import { allowedKeysAt, type JsonSchemaNode, stackJsonSchema } from "./json-schema.js";
import type { KeyPath } from "./yaml-source.js";

type ZodIssue = core.$ZodIssue;

/**
 * Turn zod's issues into one-line, user-facing drafts (with "did you mean" hints). Paths are
 * relative to the value zod parsed; `schema` is its JSON Schema (for the allowed keys of objects).
 */
export function draftsFromZod(
  issues: readonly ZodIssue[],
  schema: JsonSchemaNode = stackJsonSchema(),
): IssueDraft[] {
  const drafts = draftsAt(issues, [], schema);
  // `nmae: x` gives "unknown key nmae — did you mean name?" and "name is required": keep the first only.
  const misspelt = new Set(
    drafts.flatMap((d) => (d.suggestion ? [pathKey([...d.path.slice(0, -1), d.suggestion])] : [])),
  );
  return drafts.filter((d) => !(d.message === REQUIRED && misspelt.has(pathKey(d.path))));
}

const REQUIRED = "is required";

function pathKey(path: KeyPath): string {
  return JSON.stringify(path);
}

/** The same drafts with `base` prepended to each path (issues of a nested value, e.g. a plugin config). */
export function prefixDrafts(base: KeyPath, drafts: readonly IssueDraft[]): IssueDraft[] {
  return drafts.map((d) => ({ ...d, path: [...base, ...d.path] }));
}

function draftsAt(issues: readonly ZodIssue[], base: KeyPath, schema: JsonSchemaNode): IssueDraft[] {
  return issues.flatMap((issue) =>
    draftsFromIssue(issue, [...base, ...(issue.path as (string | number)[])], schema),
  );
}

function draftsFromIssue(issue: ZodIssue, path: KeyPath, schema: JsonSchemaNode): IssueDraft[] {
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => {
        const allowed = allowedKeysAt(path, schema);
        const suggestion = closest(key, allowed);
        return {
          path: [...path, key],
          atKey: true,
          message: unknownKey(key, allowed, suggestion),
          suggestion,
        };
      });
    case "invalid_value":
      return [{ path, message: invalidValue(issue.input, issue.values, path) }];
    case "invalid_type":
      return [
        {
          path,
          message: issue.input === undefined ? REQUIRED : expected([issue.expected], issue.input),
        },
      ];
    case "invalid_union":
      return unionDrafts(issue, path, schema);
    case "invalid_format":
      return [{ path, message: `${issue.message} (got ${show(issue.input)})` }];
    case "too_small":
      return [{ path, message: isDefaultMessage(issue.message) ? tooSmall(issue) : issue.message }];
    case "too_big":
      return [{ path, message: isDefaultMessage(issue.message) ? tooBig(issue) : issue.message }];
    case "invalid_key":
      return [{ path, atKey: true, message: `invalid key: ${issue.issues[0]?.message ?? issue.message}` }];
    default:
      return [{ path, message: issue.message }];
  }
}

function unknownKey(key: string, allowed: readonly string[], suggestion: string | undefined): string {
  if (suggestion) return `unknown key "${key}" — did you mean "${suggestion}"?`;
  return allowed.length > 0
    ? `unknown key "${key}" (allowed: ${allowed.join(", ")})`
    : `unknown key "${key}"`;
}

function isPluginName(path: KeyPath): boolean {
  return path.at(-1) === "name" && path.at(-3) === "plugins";
}

function invalidValue(input: unknown, values: readonly unknown[], path: KeyPath): string {
  const names = values.map(String);
  if (input === undefined) return REQUIRED;
  if (typeof input !== "string") return `expected one of ${names.join(", ")}, got ${show(input)}`;
  const suggestion = closest(input, names);
  if (isPluginName(path)) {
    return suggestion
      ? `unknown plugin "${input}" — did you mean "${suggestion}"?`
      : `unknown plugin "${input}" (bundled plugins: ${names.join(", ")})`;
  }
  const what = typeof path.at(-1) === "string" ? `${String(path.at(-1))} ` : "";
  return suggestion
    ? `unknown ${what}"${input}" — did you mean "${suggestion}"?`
    : `unknown ${what}"${input}" (expected one of: ${names.join(", ")})`;
}

/**
 * A union failed. If one branch got further than a type mismatch (e.g. the object form of an
 * addon toggle with a bad key), report that branch's problems; otherwise list the accepted types.
 */
function unionDrafts(
  issue: Extract<ZodIssue, { code: "invalid_union" }>,
  path: KeyPath,
  schema: JsonSchemaNode,
): IssueDraft[] {
  const typeOnly = (branch: readonly ZodIssue[]) =>
    branch.length > 0 && branch.every((i) => i.code === "invalid_type" && i.path.length === 0);
  const deeper = issue.errors.find((branch) => branch.length > 0 && !typeOnly(branch));
  if (deeper) return draftsAt(deeper, path, schema);
  const types = issue.errors.flatMap((branch) =>
    branch.flatMap((i) => (i.code === "invalid_type" ? [i.expected] : [])),
  );
  return [{ path, message: types.length > 0 ? expected(types, issue.input) : issue.message }];
}

function expected(types: readonly string[], input: unknown): string {
  return `expected ${[...new Set(types)].join(" or ")}, got ${kindOf(input)}`;
}

function tooSmall(issue: Extract<ZodIssue, { code: "too_small" }>): string {
  const min = Number(issue.minimum);
  if (issue.origin === "array") return `needs at least ${min} item${min === 1 ? "" : "s"}`;
  if (issue.origin === "string") return min <= 1 ? "must not be empty" : `must be at least ${min} characters`;
  return `must be at least ${min} (got ${show(issue.input)})`;
}

function tooBig(issue: Extract<ZodIssue, { code: "too_big" }>): string {
  const max = Number(issue.maximum);
  if (issue.origin === "array") return `must have at most ${max} items`;
  if (issue.origin === "string") return `must be at most ${max} characters`;
  return `must be at most ${max} (got ${show(issue.input)})`;
}

function isDefaultMessage(message: string): boolean {
  return message.startsWith("Too small") || message.startsWith("Too big");
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${show(value)}`;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
