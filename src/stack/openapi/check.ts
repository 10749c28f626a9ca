import { compileLinearRegex, type LinearRegex } from "../../gateway/linear-regex.js";
import type { IssueDraft } from "../issues.js";
import type { RouteSpec, ServiceSpec } from "../schema.js";
import type { OpenApiDocument, OpenApiOperation } from "./document.js";

/**
 * `stack validate --openapi`: one service's routes against its app's OpenAPI document, both ways,
 * as warnings — an operation no route of the service matches (the gateway answers 404 for it), and a
 * route path no operation is served at (the app answers 404 behind it).
 *
 * An operation's public path is the prefix the app is mounted at followed by its path, each
 * `{parameter}` standing for the sample segment `1`; a route matches it as the gateway would by
 * path and method — a plain path by prefix, a `~regex` from the path's start — while hosts and
 * headers are taken as matching (the check is about paths and methods).
 */
export function openApiDrafts(
  service: ServiceSpec,
  serviceIndex: number,
  doc: OpenApiDocument,
  prefix: string,
): IssueDraft[] {
  const base = prefix.replace(/\/+$/, "");
  const samples = doc.operations.map((op) => ({ op, path: `${base}${samplePath(op.path)}` }));
  const compiled = service.routes.map((route) => route.paths.map(pathMatcher));
  const drafts: IssueDraft[] = [];

  for (const { op, path } of samples) {
    const routed = service.routes.some((route, r) => routeMatches(route, compiled[r]!, op.method, path));
    if (!routed) {
      drafts.push({
        path: ["services", serviceIndex, "routes"],
        severity: "warning",
        message: `operation ${describe(op)} of ${doc.source} has no route: the gateway answers 404 for ${op.method} ${path} (\`stack import openapi\` adds one)`,
      });
    }
  }
  service.routes.forEach((route, r) => {
    route.paths.forEach((routePath, p) => {
      const matcher = compiled[r]![p]!;
      const served = samples.some(({ op, path }) => methodMatches(route, op.method) && matcher(path));
      if (!served) {
        const methods = route.methods.length > 0 ? ` for ${route.methods.join(", ")}` : "";
        drafts.push({
          path: ["services", serviceIndex, "routes", r, "paths", p],
          severity: "warning",
          message: `route "${route.name}": no operation of ${doc.source} is served at ${routePath}${methods}`,
        });
      }
    });
  });
  return drafts;
}

function describe(op: OpenApiOperation): string {
  return `${op.method} ${op.path}${op.operationId !== undefined ? ` (${op.operationId})` : ""}`;
}

/** `/items/{item_id}` → `/items/1`. */
function samplePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, "1");
}

type PathMatcher = (path: string) => boolean;

function pathMatcher(routePath: string): PathMatcher {
  if (!routePath.startsWith("~")) return (path) => path.startsWith(routePath);
  let regex: LinearRegex;
  try {
    regex = compileLinearRegex(`^(?:${routePath.slice(1)})`);
  } catch {
    return () => false; // stack validate reports the regex itself
  }
  return (path) => regex.test(path);
}

function methodMatches(route: RouteSpec, method: string): boolean {
  return route.methods.length === 0 || (route.methods as readonly string[]).includes(method);
}

function routeMatches(route: RouteSpec, matchers: PathMatcher[], method: string, path: string): boolean {
  if (!methodMatches(route, method)) return false;
  return matchers.length === 0 || matchers.some((m) => m(path));
}
