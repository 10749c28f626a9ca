/**
 * Where an operation the app serves at `appPath` is reached through the gateway: the inverse of the
 * path a route sends upstream (proxy/upstream-request.ts). With `strip_path` the matched prefix is
 * removed and the rest joined to the service's path, so an app path under the service's path is
 * reached at the route's prefix followed by the rest (a route `/users` before a service whose app
 * serves `/items` → `/users/items`); without it the request path goes upstream whole (after the
 * service's path), so the operation keeps its path — when the route's prefix matches it at all.
 * A route without paths matches every path. Regex paths cannot be inverted: without `strip_path`
 * the operation keeps its path when the regex matches it (its `{parameters}` standing for a
 * segment); with it they are left out, and `unmappedPaths` names them so the portal can say so.
 */
import type { GatewayRoute, GatewayService } from "../config/types.js";

/** The service's path as a prefix without its trailing slash ("/" or none → ""). */
function serviceBase(service: Pick<GatewayService, "path">): string {
  const p = service.path ?? "";
  return p.endsWith("/") ? p.slice(0, -1) : p;
}

/** `prefix` followed by `rest` with one slash between them. */
function join(prefix: string, rest: string): string {
  if (rest === "" || rest === "/") return prefix === "" ? "/" : prefix;
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  return `${p}${rest.startsWith("/") ? rest : `/${rest}`}`;
}

/** The request path a template path stands for, each `{parameter}` a segment (to test regex routes). */
function sample(templatePath: string): string {
  return templatePath.replace(/\{[^}/]*\}/g, "1");
}

function regexMatches(routePath: string, path: string): boolean {
  try {
    return new RegExp(routePath.slice(1)).exec(path)?.index === 0;
  } catch {
    return false;
  }
}

/**
 * The public paths (OpenAPI templates) of the app path `appPath` through `route`, one per route
 * path that reaches it, without duplicates; empty when the route never sends a request there.
 */
export function publicPaths(
  appPath: string,
  service: Pick<GatewayService, "path">,
  route: Pick<GatewayRoute, "paths" | "strip_path">,
): string[] {
  const base = serviceBase(service);
  if (base !== "" && appPath !== base && !appPath.startsWith(`${base}/`)) return [];
  const rest = appPath.slice(base.length) || "/";
  const paths = route.paths ?? [];
  if (paths.length === 0) return [rest];
  const out = new Set<string>();
  for (const routePath of paths) {
    if (routePath.startsWith("~")) {
      if (!route.strip_path && regexMatches(routePath, sample(rest))) out.add(rest);
    } else if (route.strip_path) {
      out.add(join(routePath, rest));
    } else if (rest.startsWith(routePath) || sample(rest).startsWith(routePath)) {
      out.add(rest);
    }
  }
  return [...out];
}

/**
 * The route's paths the portal cannot map the app's operations through: regex paths (`~`) with
 * `strip_path`, whose stripped part no template can be inverted from.
 */
export function unmappedPaths(route: Pick<GatewayRoute, "paths" | "strip_path">): string[] {
  if (!route.strip_path) return [];
  return (route.paths ?? []).filter((p) => p.startsWith("~"));
}

/** The portal's short note on a route with unmapped paths, or null. */
export function unmappedNote(route: Pick<GatewayRoute, "paths" | "strip_path">): string | null {
  const paths = unmappedPaths(route);
  if (paths.length === 0) return null;
  return `${paths.length === 1 ? "Its regex path is" : "Its regex paths are"} not in the OpenAPI document: with strip_path the portal cannot tell which of the app's paths ${paths.length === 1 ? "it reaches" : "they reach"}.`;
}
