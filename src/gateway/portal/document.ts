/**
 * A service's OpenAPI document as the portal serves it: the app's operations at the paths the
 * gateway's routes publish them (paths.ts), only for the methods each route accepts, each with the
 * authentication its route asks for (security.ts), and one server — the portal's public base — so
 * Swagger UI's "Try it out" goes through the edge and the gateway, never to the app directly.
 */
import type { GatewayRoute, GatewayService } from "../config/types.js";
import { publicPaths, unmappedPaths } from "./paths.js";
import type { RouteSecurity, SecurityScheme } from "./security.js";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, unknown>;

export interface PortalRoute {
  route: Pick<GatewayRoute, "id" | "name" | "paths" | "strip_path" | "methods">;
  security: RouteSecurity;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Is this an OpenAPI 3 document (the version Swagger UI's `servers` and security schemes need)? */
export function isOpenApi3(doc: unknown): doc is Json {
  return (
    isObject(doc) && typeof doc.openapi === "string" && doc.openapi.startsWith("3.") && isObject(doc.paths)
  );
}

function accepts(route: PortalRoute["route"], method: string): boolean {
  const methods = route.methods;
  return methods === null || methods.length === 0 || methods.some((m) => m.toLowerCase() === method);
}

/**
 * The portal's document for `service` from the app's OpenAPI 3 document `doc`. Operations no route
 * reaches are left out; an operation reached through several routes (or route paths) appears under
 * each of them, the later copies' operationId suffixed with the route's name so they stay unique.
 * Routes with paths the portal cannot map (regex paths with strip_path) are named in
 * `x-gateway-unmapped-routes` and in a line added to `info.description`, which Swagger UI shows.
 */
export function portalDocument(
  doc: Json,
  service: Pick<GatewayService, "path" | "name" | "id">,
  routes: readonly PortalRoute[],
  serverUrl: string,
): Json {
  const appPaths = isObject(doc.paths) ? doc.paths : {};
  const paths: Record<string, Json> = {};
  const schemes: Record<string, SecurityScheme> = {};
  const operationIds = new Set<string>();
  for (const [appPath, item] of Object.entries(appPaths)) {
    if (!isObject(item)) continue;
    const { servers: _servers, ...shared } = item;
    for (const { route, security } of routes) {
      const targets = publicPaths(appPath, service, route);
      for (const method of METHODS) {
        const op = item[method];
        if (!isObject(op) || !accepts(route, method)) continue;
        for (const publicPath of targets) {
          let out = paths[publicPath];
          if (out === undefined) {
            out = pathItem(shared);
            paths[publicPath] = out;
          }
          if (out[method] !== undefined) continue;
          out[method] = operation(op, route, security, operationIds);
          Object.assign(schemes, security.schemes);
        }
      }
    }
  }
  const components = isObject(doc.components) ? doc.components : {};
  const appSchemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  const { servers: _servers, paths: _paths, ...rest } = doc;
  return {
    ...rest,
    ...unmappedRoutes(doc, routes),
    servers: [{ url: serverUrl, description: "through the API gateway" }],
    paths,
    components: { ...components, securitySchemes: { ...appSchemes, ...schemes } },
  };
}

/** The document's fields naming the routes whose paths it could not map (none: nothing). */
function unmappedRoutes(doc: Json, routes: readonly PortalRoute[]): Json {
  const unmapped = routes
    .map(({ route }) => ({ route: route.name ?? route.id, paths: unmappedPaths(route) }))
    .filter((u) => u.paths.length > 0);
  if (unmapped.length === 0) return {};
  const info = isObject(doc.info) ? doc.info : {};
  const line =
    `Not listed here: ${unmapped.map((u) => `route ${u.route} (${u.paths.join(", ")})`).join("; ")} — ` +
    "regex paths with strip_path, which the portal cannot map the app's paths through.";
  const description =
    typeof info.description === "string" && info.description !== "" ? `${info.description}\n\n${line}` : line;
  return {
    info: { ...info, description },
    "x-gateway-unmapped-routes": unmapped.map((u) => ({ ...u, reason: "regex path with strip_path" })),
  };
}

/** A path item's shared fields (summary, description, parameters) without its operations. */
function pathItem(shared: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(shared)) if (!(METHODS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

function operation(
  op: Json,
  route: PortalRoute["route"],
  security: RouteSecurity,
  operationIds: Set<string>,
): Json {
  const { servers: _servers, ...copy } = op;
  const out: Json = { ...copy, "x-gateway-route": route.name ?? route.id };
  if (typeof op.operationId === "string") {
    let id = op.operationId;
    if (operationIds.has(id)) id = `${id}_${(route.name ?? route.id).replace(/[^A-Za-z0-9_]+/g, "_")}`;
    for (let n = 2; operationIds.has(id); n++) id = `${op.operationId}_${n}`;
    operationIds.add(id);
    out.operationId = id;
  }
  // the gateway's authentication is what a caller meets first: it replaces what the app declares
  if (security.requirement.length > 0) out.security = security.requirement;
  return out;
}
