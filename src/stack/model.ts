/**
 * Facts of the stack model that the rules (checks.ts), the generators (src/render/) and the
 * environment (env-vars.ts) all read: where plugins are listed, what a route's gateway service is named.
 */
import type { PluginSpec, RouteSpec, ServiceSpec, StackConfig } from "./schema.js";
import type { KeyPath } from "./yaml-source.js";

/** One plugin list of the stack and its key path in stack.yaml. */
export type PluginScope = { path: KeyPath; plugins: PluginSpec[] };

/** Every plugin list in the stack with its key path. */
export function pluginScopesOf(stack: StackConfig): PluginScope[] {
  const scopes: PluginScope[] = [{ path: ["gateway", "plugins"], plugins: stack.gateway.plugins }];
  stack.services.forEach((service, s) => {
    scopes.push({ path: ["services", s, "plugins"], plugins: service.plugins });
    service.routes.forEach((route, r) => {
      scopes.push({ path: ["services", s, "routes", r, "plugins"], plugins: route.plugins });
    });
  });
  stack.consumers.forEach((consumer, c) => {
    scopes.push({ path: ["consumers", c, "plugins"], plugins: consumer.plugins });
  });
  return scopes;
}

/**
 * The gateway service a route belongs to: its app's, or — for a route with an
 * upstream_path, which needs its own service path — `<app>-<route>`.
 */
export function gatewayServiceName(service: ServiceSpec, route: RouteSpec): string {
  return route.upstream_path === undefined ? service.name : `${service.name}-${route.name}`;
}
