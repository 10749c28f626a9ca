import { type Document, isMap, isScalar, isSeq, parseDocument, visit, type YAMLMap, YAMLSeq } from "yaml";
import { GatestackError } from "../../errors.js";
import { didYouMean } from "../did-you-mean.js";
import { StackInvalidError } from "../issues.js";
import { analyzeStackText } from "../load.js";
import { parseYamlSource } from "../yaml-source.js";
import { type ImportedRoute, OPENAPI_TAG } from "./routes.js";

/** The keys of a route the import owns: set on every import, the others stay as the user wrote them. */
const OWNED_KEYS = ["paths", "methods", "strip_path", "regex_priority", "tags"] as const;

export interface RouteMergeOptions {
  service: string;
  /** Remove routes an earlier import made (tag `openapi`) for operations the document no longer has. */
  prune: boolean;
}

export interface RouteMergeResult {
  /** stack.yaml after the import (the same text when nothing changed). */
  text: string;
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Imported earlier, no operation now: removed with `prune`, else left and listed in `stale`. */
  removed: string[];
  stale: string[];
}

/**
 * Merge imported routes into one service of stack.yaml, editing the document in place with the
 * `yaml` package's Document API so that comments, key order and the user's other keys stay: a
 * route of the same name is updated (only OWNED_KEYS and its request-transformer `replace.uri`),
 * a new one is appended. The result must still be a valid stack.yaml (else StackInvalidError and
 * nothing to write). Running it again with the same routes changes nothing.
 */
export function mergeRoutes(
  text: string,
  file: string,
  routes: readonly ImportedRoute[],
  opts: RouteMergeOptions,
): RouteMergeResult {
  parseYamlSource(text, file); // a syntax error names file:line:col
  const doc = parseDocument(text, { uniqueKeys: true });
  const seq = routesOf(doc, text, file, opts.service);
  const result: RouteMergeResult = { text, created: [], updated: [], unchanged: [], removed: [], stale: [] };
  const names = new Set(routes.map((r) => r.name));

  for (const route of routes) {
    const existing = seq.items.find((item) => isMap(item) && item.get("name") === route.name) as
      | YAMLMap
      | undefined;
    if (!existing) {
      seq.add(flowScalars(doc.createNode(route)));
      result.created.push(route.name);
    } else if (updateRoute(doc, existing, route)) {
      result.updated.push(route.name);
    } else {
      result.unchanged.push(route.name);
    }
  }
  for (const item of [...seq.items]) {
    if (!isMap(item)) continue;
    const name = item.get("name");
    if (typeof name !== "string" || names.has(name) || !hasImportTag(item)) continue;
    if (opts.prune) {
      seq.delete(seq.items.indexOf(item));
      result.removed.push(name);
    } else {
      result.stale.push(name);
    }
  }
  if (result.created.length + result.updated.length + result.removed.length === 0) return result;

  const next = stringifyLike(doc, text);
  const analysis = analyzeStackText(next, file);
  if (!analysis.config) throw new StackInvalidError(analysis.errors, analysis.warnings);
  return { ...result, text: next };
}

/**
 * The document as text in the file's own layout, so that lines the import did not touch stay as they
 * were: of the layouts the `yaml` package writes (sequences indented under their key or not, flow
 * collections padded or not; `stack init` writes the first of each), the one that keeps the most of
 * the original lines.
 */
function stringifyLike(doc: Document, original: string): string {
  const lines = original.split("\n");
  let best: { text: string; lost: number } | undefined;
  for (const indentSeq of [true, false]) {
    for (const flowCollectionPadding of [false, true]) {
      const text = doc.toString({ lineWidth: 110, indentSeq, flowCollectionPadding });
      const kept = new Map<string, number>();
      for (const line of text.split("\n")) kept.set(line, (kept.get(line) ?? 0) + 1);
      let lost = 0;
      for (const line of lines) {
        const n = kept.get(line) ?? 0;
        if (n === 0) lost++;
        else kept.set(line, n - 1);
      }
      if (best === undefined || lost < best.lost) best = { text, lost };
    }
  }
  return best!.text;
}

/** The `routes` sequence of service `name`; E_USAGE naming the services when there is none. */
function routesOf(doc: Document, text: string, file: string, name: string): YAMLSeq {
  const services = doc.get("services");
  const list = isSeq(services) ? services.items.filter(isMap) : [];
  const service = list.find((s) => s.get("name") === name);
  if (!service) {
    const known = list.map((s) => s.get("name")).filter((n): n is string => typeof n === "string");
    const { line, col } = parseYamlSource(text, file).locate(["services"]);
    throw new GatestackError(
      "E_USAGE",
      `no service "${name}" in stack.yaml${didYouMean(name, known)} (services: ${known.join(", ") || "none"})`,
      { place: `${file}:${line}:${col}`, exitCode: 2, hint: "pass --service with one of the services" },
    );
  }
  const routes = service.get("routes");
  if (isSeq(routes)) return routes;
  const created = new YAMLSeq();
  service.set("routes", created);
  return created;
}

/** Set the owned keys that differ; true when anything changed. */
function updateRoute(doc: Document, map: YAMLMap, route: ImportedRoute): boolean {
  let changed = false;
  for (const key of OWNED_KEYS) {
    const want = route[key];
    if (same(toJs(map.get(key, true)), want)) continue;
    map.set(key, flowScalars(doc.createNode(want)));
    changed = true;
  }
  const uri = route.plugins?.[0].config.replace.uri;
  if (uri === undefined) return changed;
  const plugins = map.get("plugins");
  const transformer = isSeq(plugins)
    ? plugins.items.find((p) => isMap(p) && p.get("name") === "request-transformer")
    : undefined;
  if (isMap(transformer)) {
    if (transformer.getIn(["config", "replace", "uri"]) !== uri) {
      transformer.setIn(["config", "replace", "uri"], uri);
      changed = true;
    }
  } else if (isSeq(plugins)) {
    plugins.add(doc.createNode(route.plugins![0]));
    changed = true;
  } else {
    map.set("plugins", doc.createNode(route.plugins));
    changed = true;
  }
  return changed;
}

function hasImportTag(map: YAMLMap): boolean {
  const tags = toJs(map.get("tags", true));
  return Array.isArray(tags) && tags.includes(OPENAPI_TAG);
}

function toJs(node: unknown): unknown {
  if (node === undefined || node === null) return undefined;
  if (isScalar(node)) return node.value;
  if (typeof (node as { toJSON?: unknown }).toJSON === "function")
    return (node as { toJSON(): unknown }).toJSON();
  return node;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Short lists of scalars inline, as `stack init` writes them: paths: [/api], methods: [GET]. */
function flowScalars<T>(node: T): T {
  visit(node as never, {
    Seq(_, seq) {
      if (seq.items.length > 0 && seq.items.every((item) => isScalar(item))) seq.flow = true;
    },
  });
  if (isSeq(node) && node.items.length > 0 && node.items.every((item) => isScalar(item))) node.flow = true;
  return node;
}
