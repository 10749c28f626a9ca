/**
 * Merges normalized Compose files the way Compose does (compose-spec "Merge"): mappings merge key by
 * key, sequences append, scalars are replaced; `command`, `entrypoint` and `healthcheck.test` are
 * replaced; `ports` (by host_ip, published, target, protocol) and `volumes` (by target) are unique
 * resources where a later entry replaces an earlier one in place; list attributes such as `expose`,
 * `dns`, `env_file`, `profiles` keep one copy of each value; `logging` options merge only when the
 * driver is the same; `x-*` extensions are replaced. `!reset` removes a value, `!override` replaces it.
 */
import { isPlainObject } from "./interpolate.js";
import { OverrideValue, ResetValue } from "./markers.js";
import type { PortLong, VolumeLong } from "./normalize.js";

type Tree = Record<string, unknown>;
type Merger = (base: unknown, over: unknown, path: string[]) => unknown;

const replace: Merger = (_base, over) => over;

const uniqueBy =
  (key: (entry: unknown) => string): Merger =>
  (base, over) => {
    const out: unknown[] = [];
    const index = new Map<string, number>();
    for (const entry of [...asArray(base), ...asArray(over)]) {
      const k = key(entry);
      const at = index.get(k);
      if (at === undefined) {
        index.set(k, out.length);
        out.push(entry);
      } else {
        out[at] = entry;
      }
    }
    return out;
  };

const portKey = (entry: unknown): string => {
  const p = entry as PortLong;
  return `${p.host_ip ?? "0.0.0.0"}:${p.published ?? ""}:${p.target}/${p.protocol ?? "tcp"}`;
};
const volumeKey = (entry: unknown): string => (entry as VolumeLong).target;
const valueKey = (entry: unknown): string => JSON.stringify(entry);

const mergeLogging: Merger = (base, over, path) => {
  const b = isPlainObject(base) ? base : {};
  const o = isPlainObject(over) ? over : {};
  if (b.driver !== undefined && o.driver !== undefined && b.driver !== o.driver) return o;
  return mergeMappings(b, o, path);
};

/** Rules by path pattern (`*` matches one segment), checked before the generic rules. */
const SPECIAL: Array<[string[], Merger]> = [
  [["services", "*", "command"], replace],
  [["services", "*", "entrypoint"], replace],
  [["services", "*", "healthcheck", "test"], replace],
  [["services", "*", "ports"], uniqueBy(portKey)],
  [["services", "*", "volumes"], uniqueBy(volumeKey)],
  [["services", "*", "logging"], mergeLogging],
  ...[
    "expose",
    "dns",
    "dns_search",
    "env_file",
    "tmpfs",
    "cap_add",
    "cap_drop",
    "profiles",
    "security_opt",
  ].map((k): [string[], Merger] => [["services", "*", k], uniqueBy(valueKey)]),
];

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((seg, i) => seg === "*" || seg === path[i]);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function mergeValues(base: unknown, over: unknown, path: string[]): unknown {
  if (over instanceof ResetValue || over instanceof OverrideValue) return over;
  if (base instanceof ResetValue || base === undefined) return over;
  const baseValue = base instanceof OverrideValue ? base.value : base;
  const last = path[path.length - 1] ?? "";
  if (last.startsWith("x-")) return over;
  for (const [pattern, merger] of SPECIAL) if (matches(pattern, path)) return merger(baseValue, over, path);
  if (isPlainObject(baseValue) && isPlainObject(over)) return mergeMappings(baseValue, over, path);
  if (Array.isArray(baseValue) && Array.isArray(over)) return [...baseValue, ...over];
  return over;
}

function mergeMappings(base: Tree, over: Tree, path: string[]): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeValues(out[k], v, [...path, k]);
  return out;
}

/** Merges `over` into `base` (neither is modified). Markers stay until `resolveMarkers`. */
export function mergeComposeTrees(base: Tree, over: Tree): Tree {
  return mergeValues(base, over, []) as Tree;
}

/** Drops `!reset` values (the key disappears) and unwraps `!override` ones. */
export function resolveMarkers<T>(tree: T): T {
  const walk = (node: unknown): unknown => {
    if (node instanceof OverrideValue) return walk(node.value);
    if (Array.isArray(node)) return node.filter((x) => !(x instanceof ResetValue)).map(walk);
    if (isPlainObject(node)) {
      const out: Tree = {};
      for (const [k, v] of Object.entries(node)) if (!(v instanceof ResetValue)) out[k] = walk(v);
      return out;
    }
    return node;
  };
  return walk(tree) as T;
}
