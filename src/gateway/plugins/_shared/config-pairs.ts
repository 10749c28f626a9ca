/**
 * Kong's "name:value" config strings (request-/response-transformer): the name runs to
 * the first colon, the value is everything after the colon(s).
 */
import { z } from "zod";

export interface ConfigPair {
  name: string;
  value: string;
}

export function splitPair(entry: string): ConfigPair {
  const m = /^([^:]+):*(.*)$/s.exec(entry);
  return m ? { name: m[1]!, value: m[2]! } : { name: entry, value: "" };
}

/** An array of `name:value` strings, Kong's colon-separated arrays (default []). */
export function colonPairs(description: string) {
  return z
    .array(
      z
        .string()
        .regex(/^[^:]+:.*$/, { error: (issue) => `invalid value: ${String(issue.input)}` })
        .describe("A `name:value` pair."),
    )
    .default([])
    .describe(description);
}

/** An array of plain names (default []). */
export function nameList(description: string) {
  return z.array(z.string().min(1)).default([]).describe(description);
}
