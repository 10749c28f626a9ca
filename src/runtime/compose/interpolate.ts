/**
 * Compose variable interpolation over a parsed compose file: every string value (never keys) goes
 * through the template language of src/stack/interpolation.ts.
 */

import { interpolateString, type VariableLookup } from "../../stack/interpolation.js";
import { OverrideValue } from "./markers.js";

export { InterpolationError, interpolateString, type VariableLookup } from "../../stack/interpolation.js";

/**
 * Interpolates every string value of a parsed YAML tree (keys untouched). Returns a new tree and the
 * names of variables that were referenced but not set.
 */
export function interpolateTree<T>(
  tree: T,
  lookup: VariableLookup,
  basePath = "",
): { value: T; unset: string[] } {
  const unset = new Set<string>();
  const walk = (node: unknown, path: string): unknown => {
    if (typeof node === "string") return interpolateString(node, lookup, path, unset);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, `${path}[${i}]`));
    if (node instanceof OverrideValue) return new OverrideValue(walk(node.value, path));
    if (isPlainObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) out[k] = walk(v, path ? `${path}.${k}` : k);
      return out;
    }
    return node;
  };
  return { value: walk(tree, basePath) as T, unset: [...unset].sort() };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
