/**
 * A plugin's `config` through the plugin's own zod schema, its issues worded and nested as Kong's
 * schema errors (`config: { minute: "value must be at least 0" }`).
 */
import type { z } from "zod";
import { type ErrorRecord, mergeErrors } from "./schema/errors.js";
import { errorTreeAt, isPlainObject, MSG, setOwn } from "./schema/fields.js";

/** Kong configs (decK dumps) spell unset fields as null: treat them as absent. */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) setOwn(out, k, stripNulls(v));
  return out;
}

export type PluginConfigResult =
  | { ok: true; data: Record<string, unknown> }
  | {
      ok: false;
      errors: ErrorRecord;
      /** errors of the plugin entry as a whole (Kong's entity_checks), reported at its `@entity` */
      entity: string[];
    };

/**
 * The `params` a plugin schema gives a custom issue that is one of Kong's entity_checks of the
 * plugin (`only_one_of = { "config.allow", "config.deny" }`): reported at the plugin entry's
 * `@entity`, where Kong reports them, not in `config`.
 */
export const ENTITY_CHECK = { kongEntityCheck: true } as const;

/** Run a plugin's zod schema; map its issues into Kong's nested `config` errors. */
export function parsePluginConfig(schema: z.ZodType<unknown>, value: unknown): PluginConfigResult {
  let result: ReturnType<z.ZodType<unknown>["safeParse"]>;
  try {
    result = schema.safeParse(value);
  } catch (e) {
    return { ok: false, errors: { "@entity": e instanceof Error ? e.message : String(e) }, entity: [] };
  }
  if (result.success) {
    return { ok: true, data: (isPlainObject(result.data) ? result.data : {}) as Record<string, unknown> };
  }
  const errors: ErrorRecord = {};
  const entity: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (issue.code === "custom" && issue.params?.kongEntityCheck === true) {
      entity.push(issue.message);
      continue;
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) mergeErrors(errors, errorTreeAt([...path, key], MSG.UNKNOWN));
      continue;
    }
    const at = path.length > 0 ? path : ["@entity"];
    mergeErrors(errors, errorTreeAt(at, zodMessage(issue, valueAt(value, path))));
  }
  return { ok: false, errors, entity };
}

type ZodIssue = z.core.$ZodIssue;

/** Kong-worded bound errors: lengths for strings and lists, values for numbers. */
function boundMessage(side: "min" | "max", origin: string, n: number, inclusive: boolean): string {
  if (origin === "string" || origin === "array" || origin === "set")
    return side === "min" ? MSG.LEN_MIN(n) : MSG.LEN_MAX(n);
  if (side === "min") return inclusive ? `value must be at least ${n}` : `value must be greater than ${n}`;
  return inclusive ? `value must be at most ${n}` : `value must be less than ${n}`;
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur = root;
  for (const step of path) {
    if (Array.isArray(cur) && typeof step === "number") cur = cur[step];
    else if (isPlainObject(cur) && Object.hasOwn(cur, String(step))) cur = cur[String(step)];
    else return undefined;
  }
  return cur;
}

function zodMessage(issue: ZodIssue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type": {
      if (input === undefined) return MSG.REQUIRED;
      // a schema's own wording wins (`z.int({ error: "expected an integer" })`: zod says "number" for ints)
      if (!issue.message.startsWith("Invalid input")) return issue.message;
      const expected = String(issue.expected);
      const byType: Record<string, string> = {
        string: MSG.STRING,
        number: MSG.NUMBER,
        int: MSG.INTEGER,
        boolean: MSG.BOOLEAN,
        array: MSG.ARRAY,
        object: MSG.RECORD,
        record: MSG.MAP,
        map: MSG.MAP,
        set: MSG.SET,
      };
      return byType[expected] ?? issue.message;
    }
    case "invalid_value":
      return MSG.ONE_OF(issue.values.map((v) => String(v)));
    case "too_small":
      return boundMessage("min", issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return boundMessage("max", issue.origin, Number(issue.maximum), issue.inclusive !== false);
    default:
      return issue.message;
  }
}
