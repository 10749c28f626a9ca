import { AUTH_PLUGIN_CREDENTIALS } from "../gateway/plugins/bundled.js";
import { RESERVED_SERVICE_NAMES } from "./components.js";
import { DATABASE_FIELD, usesDatabase } from "./database.js";
import { formatKeyPath, type IssueDraft } from "./issues.js";
import { gatewayServiceName, pluginScopesOf } from "./model.js";
import type { PluginSpec, StackConfig } from "./schema.js";
import type { KeyPath } from "./yaml-source.js";

/**
 * Checks zod cannot express: uniqueness across the stack, routing conflicts between services,
 * plugin/consumer consistency. Errors make the stack invalid; warnings are printed by `stack validate`.
 */
export function crossFieldChecks(stack: StackConfig): IssueDraft[] {
  return [
    ...uniqueNames(stack),
    ...reservedNames(stack),
    ...gatewayServiceNames(stack),
    ...routeConflicts(stack),
    ...consumerUniqueness(stack),
    ...jwtKeys(stack),
    ...oauth2Clients(stack),
    ...oauth2Database(stack),
    ...pluginScopes(stack),
    ...authWithoutCredentials(stack),
    ...aclGroups(stack),
    ...portClashes(stack),
    ...addonDependencies(stack),
    ...portalEngine(stack),
    ...managerEngine(stack),
    ...kongEngineCredentials(stack),
  ];
}

/**
 * Consumer secrets reach gateway.yaml as {vault://env/NAME} references; Kong resolves those only
 * in the fields its schemas mark referenceable, and no consumer-credential field is one (keys,
 * passwords, secrets, client ids): with the kong engine each credential would be the reference
 * text itself, and its requests 401.
 */
function kongEngineCredentials(stack: StackConfig): IssueDraft[] {
  if (stack.gateway.engine !== "kong") return [];
  const out: IssueDraft[] = [];
  stack.consumers.forEach((consumer, c) => {
    for (const [kind, list] of Object.entries(consumer.credentials)) {
      if (!Array.isArray(list) || list.length === 0) continue;
      out.push({
        path: ["consumers", c, "credentials", kind],
        severity: "warning",
        message: `with gateway.engine kong these credentials do not work: gateway.yaml refers to their secrets as {vault://env/…}, which Kong resolves only in fields it marks referenceable, and no ${kind} credential field is one (Kong would take the reference text as the secret); set gateway.engine gatestack, or provision them into Kong yourself`,
      });
    }
  });
  return out;
}

/** The gateway manager is the gatestack gateway's own listener (admin_gui_listen). */
function managerEngine(stack: StackConfig): IssueDraft[] {
  if (!stack.addons.manager.enabled || stack.gateway.engine !== "kong") return [];
  return [
    {
      path: ["addons", "manager"],
      message:
        "the gateway manager is served by the gatestack gateway: set gateway.engine gatestack, or addons.manager false",
    },
  ];
}

/** The developer portal is the gatestack gateway's (Kong's is an Enterprise feature). */
function portalEngine(stack: StackConfig): IssueDraft[] {
  if (!stack.portal || stack.gateway.engine !== "kong") return [];
  return [
    {
      path: ["portal"],
      message:
        "the developer portal is served by the gatestack gateway (Kong's Dev Portal is Kong Enterprise): set gateway.engine gatestack, or portal false",
    },
  ];
}

/** Reports the second and later occurrences of each key. */
function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T) => string | undefined,
  report: (item: T, index: number, firstIndex: number) => IssueDraft,
): IssueDraft[] {
  const seen = new Map<string, number>();
  const out: IssueDraft[] = [];
  items.forEach((item, index) => {
    const key = keyOf(item);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else out.push(report(item, index, first));
  });
  return out;
}

function uniqueNames(stack: StackConfig): IssueDraft[] {
  const services = duplicates(
    stack.services,
    (s) => s.name,
    (s, i, first) => ({
      path: ["services", i, "name"],
      message: `duplicate service name "${s.name}" (also services[${first}])`,
    }),
  );
  const routes = allRoutes(stack);
  const routeNames = duplicates(
    routes,
    (r) => r.route.name,
    (r, _i, first) => ({
      path: [...r.path, "name"],
      message: `duplicate route name "${r.route.name}" (also services[${routes[first]!.s}].routes[${routes[first]!.r}])`,
    }),
  );
  return [...services, ...routeNames];
}

/** App names become compose services beside the stack's own (caddy, gateway, the addons' tools). */
function reservedNames(stack: StackConfig): IssueDraft[] {
  return stack.services.flatMap((service, i): IssueDraft[] =>
    RESERVED_SERVICE_NAMES.includes(service.name)
      ? [
          {
            path: ["services", i, "name"],
            message: `service name "${service.name}" is used by the stack itself; choose another (reserved: ${RESERVED_SERVICE_NAMES.join(", ")})`,
          },
        ]
      : [],
  );
}

/** Gateway service names are unique: a route's own service (`<app>-<route>`) must not take one already used. */
function gatewayServiceNames(stack: StackConfig): IssueDraft[] {
  // Each app name once: two apps with one name are reported by uniqueNames.
  const apps = new Map<string, KeyPath>();
  stack.services.forEach((service, s) => {
    if (!apps.has(service.name)) apps.set(service.name, ["services", s, "name"]);
  });
  const owners = [
    ...[...apps].map(([name, path]) => ({ name, path })),
    ...allRoutes(stack)
      .filter(({ route }) => route.upstream_path !== undefined)
      .map(({ service, route, path }) => ({
        name: gatewayServiceName(service, route),
        path: [...path, "upstream_path"] as KeyPath,
      })),
  ];
  return duplicates(
    owners,
    (o) => o.name,
    (o, _i, first) => ({
      path: o.path,
      message: `a route with upstream_path gets its own gateway service "${o.name}", a name ${formatKeyPath(owners[first]!.path)} already gives one; rename the app or the route`,
    }),
  );
}

function allRoutes(stack: StackConfig) {
  return stack.services.flatMap((service, s) =>
    service.routes.map((route, r) => ({
      service,
      route,
      s,
      r,
      path: ["services", s, "routes", r] as KeyPath,
    })),
  );
}

/**
 * Two routes that match exactly the same requests (same path, hosts, methods and headers):
 * between two services the gateway cannot tell which one is meant — an error; within one
 * service it is redundant — a warning.
 */
function routeConflicts(stack: StackConfig): IssueDraft[] {
  const seen = new Map<string, { service: string; route: string }>();
  const out: IssueDraft[] = [];
  for (const { service, route, path } of allRoutes(stack)) {
    const rest = JSON.stringify([
      [...route.hosts].map((h) => h.toLowerCase()).sort(),
      [...route.methods].sort(),
      Object.entries(route.headers)
        .map(([k, v]) => [k.toLowerCase(), [...v].sort()])
        .sort(),
    ]);
    const paths: (string | undefined)[] = route.paths.length > 0 ? route.paths : [undefined];
    paths.forEach((p, i) => {
      const key = `${p ?? ""}\u0000${rest}`;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, { service: service.name, route: route.name });
        return;
      }
      const where: KeyPath = p === undefined ? path : [...path, "paths", i];
      const what = p === undefined ? "the same hosts/methods/headers" : `path "${p}"`;
      if (first.service !== service.name) {
        out.push({
          path: where,
          message: `two services on one path: ${what} is already routed to service "${first.service}" (route "${first.route}") with the same hosts, methods and headers`,
        });
      } else if (first.route !== route.name) {
        out.push({
          path: where,
          severity: "warning",
          message: `${what} is also matched by route "${first.route}" of the same service`,
        });
      }
    });
  }
  return out;
}

function consumerUniqueness(stack: StackConfig): IssueDraft[] {
  const consumers = stack.consumers;
  const out = [
    ...duplicates(
      consumers,
      (c) => c.username,
      (c, i, first) => ({
        path: ["consumers", i, "username"],
        message: `duplicate consumer "${c.username}" (also consumers[${first}])`,
      }),
    ),
    ...duplicates(
      consumers,
      (c) => c.custom_id,
      (c, i, first) => ({
        path: ["consumers", i, "custom_id"],
        message: `duplicate custom_id "${c.custom_id}" (also consumers[${first}])`,
      }),
    ),
  ];
  // One secret must identify one consumer: the same .env variable (or jwt key, basic-auth user) twice is ambiguous.
  const credentials = consumers.flatMap((c, i) => [
    ...c.credentials["key-auth"].map((k, j) => ({
      key: `key-auth ${k.key_env}`,
      path: ["consumers", i, "credentials", "key-auth", j, "key_env"] as KeyPath,
      label: `key_env ${k.key_env}`,
    })),
    ...c.credentials.jwt.map((k, j) => ({
      key: `jwt ${k.key}`,
      path: ["consumers", i, "credentials", "jwt", j, "key"] as KeyPath,
      label: `jwt key "${k.key}"`,
    })),
    ...c.credentials["basic-auth"].map((k, j) => ({
      key: `basic-auth ${k.username}`,
      path: ["consumers", i, "credentials", "basic-auth", j, "username"] as KeyPath,
      label: `basic-auth username "${k.username}"`,
    })),
    ...c.credentials["hmac-auth"].map((k, j) => ({
      key: `hmac-auth ${k.username}`,
      path: ["consumers", i, "credentials", "hmac-auth", j, "username"] as KeyPath,
      label: `hmac-auth username "${k.username}"`,
    })),
    ...c.credentials.oauth2.flatMap((k, j) => {
      const at: KeyPath = ["consumers", i, "credentials", "oauth2", j];
      const keys = [
        {
          key: `oauth2-secret ${k.client_secret_env}`,
          path: [...at, "client_secret_env"] as KeyPath,
          label: `client_secret_env ${k.client_secret_env}`,
        },
      ];
      if (k.client_id !== undefined)
        keys.push({
          key: `oauth2 ${k.client_id}`,
          path: [...at, "client_id"],
          label: `oauth2 client_id "${k.client_id}"`,
        });
      if (k.client_id_env !== undefined)
        keys.push({
          key: `oauth2-env ${k.client_id_env}`,
          path: [...at, "client_id_env"],
          label: `client_id_env ${k.client_id_env}`,
        });
      return keys;
    }),
  ]);
  out.push(
    ...duplicates(
      credentials,
      (c) => c.key,
      (c) => ({ path: c.path, message: `${c.label} is used by another credential too; each must be unique` }),
    ),
  );
  return out;
}

/** A JWT credential names the .env variable its algorithm verifies with. */
function jwtKeys(stack: StackConfig): IssueDraft[] {
  return stack.consumers.flatMap((consumer, c) =>
    consumer.credentials.jwt.flatMap((credential, j): IssueDraft[] => {
      const hmac = credential.algorithm.startsWith("HS");
      const [field, what] = hmac
        ? (["secret_env", "the HMAC secret"] as const)
        : (["rsa_public_key_env", "the PEM public key"] as const);
      if (credential[field] !== undefined) return [];
      return [
        {
          path: ["consumers", c, "credentials", "jwt", j, field],
          message: `is required for algorithm ${credential.algorithm}: the .env variable holding ${what}`,
        },
      ];
    }),
  );
}

/** An OAuth2 application has one client_id: inline or from .env. */
function oauth2Clients(stack: StackConfig): IssueDraft[] {
  return stack.consumers.flatMap((consumer, c) =>
    consumer.credentials.oauth2.flatMap((credential, j): IssueDraft[] => {
      const at: KeyPath = ["consumers", c, "credentials", "oauth2", j];
      if (credential.client_id !== undefined && credential.client_id_env !== undefined)
        return [{ path: [...at, "client_id_env"], message: "give client_id or client_id_env, not both" }];
      if (credential.client_id === undefined && credential.client_id_env === undefined)
        return [
          {
            path: at,
            message:
              "needs client_id, or client_id_env naming the .env variable holding it (stack init generates it)",
          },
        ];
      return [];
    }),
  );
}

/**
 * Kong's oauth2 stores the tokens and codes it issues, so it runs in database mode only: DB-less,
 * Kong (and this gateway) refuse it. Its applications alone are plain declarative entities.
 */
function oauth2Database(stack: StackConfig): IssueDraft[] {
  const out: IssueDraft[] = [];
  /** provision_key as written → where first: each oauth2 plugin should have its own */
  const keys = new Map<string, KeyPath>();
  for (const { path, plugins } of pluginScopesOf(stack)) {
    plugins.forEach((plugin, i) => {
      if (plugin.name !== "oauth2") return;
      if (usesDatabase(stack)) {
        const key = plugin.config.provision_key;
        if (key === undefined) {
          out.push({
            path: [...path, i, "config"],
            severity: "warning",
            message: `oauth2 without provision_key: the gateway makes up a new one whenever it loads gateway.yaml (every \`stack gateway sync\` changes it); set provision_key: "{vault://env/${provisionKeyVariable(stack, path)}}" (a variable of its own for each oauth2 plugin; stack init generates it)`,
          });
        } else if (typeof key === "string") {
          const first = keys.get(key.trim());
          if (first === undefined) keys.set(key.trim(), [...path, i, "config", "provision_key"]);
          else
            out.push({
              path: [...path, i, "config", "provision_key"],
              severity: "warning",
              message: `the same provision_key as the oauth2 plugin at ${formatKeyPath(first)}: each oauth2 plugin should have its own (Kong's schema marks it unique; whoever holds it can issue tokens for that plugin's APIs), e.g. "{vault://env/${provisionKeyVariable(stack, path)}}"`,
            });
        }
        return;
      }
      out.push({
        path: [...path, i, "name"],
        message: `oauth2 needs database mode, as in Kong (it stores the tokens it issues; DB-less, Kong refuses it: "cannot create 'oauth2_tokens' entities when not using a database"): set ${DATABASE_FIELD.join(".")} postgres`,
      });
    });
  }
  return out;
}

/** A .env variable name for the provision_key of the oauth2 plugin in this scope (OAUTH2_PROVISION_KEY_<SCOPE>). */
function provisionKeyVariable(stack: StackConfig, scope: KeyPath): string {
  const names: string[] = [];
  if (scope[0] === "services") {
    const service = stack.services[Number(scope[1])];
    if (service !== undefined) names.push(service.name);
    if (scope[2] === "routes" && service !== undefined) {
      const route = service.routes[Number(scope[3])];
      if (route !== undefined) names.push(route.name);
    }
  } else if (scope[0] === "consumers") {
    const consumer = stack.consumers[Number(scope[1])];
    if (consumer !== undefined) names.push(consumer.username);
  }
  const suffix = names.map((n) => n.toUpperCase().replace(/[^A-Z0-9]+/g, "_")).join("_");
  return suffix === "" ? "OAUTH2_PROVISION_KEY" : `OAUTH2_PROVISION_KEY_${suffix}`;
}

/** Kong allows one instance of a plugin per scope. */
function pluginScopes(stack: StackConfig): IssueDraft[] {
  return pluginScopesOf(stack).flatMap(({ path, plugins }) =>
    duplicates(
      plugins,
      (p) => p.name,
      (p, i, first) => ({
        path: [...path, i, "name"],
        message: `plugin "${p.name}" appears twice in this list (also [${first}]); merge their config`,
      }),
    ),
  );
}

const AUTH_PLUGINS = Object.keys(AUTH_PLUGIN_CREDENTIALS) as (keyof typeof AUTH_PLUGIN_CREDENTIALS)[];

function authWithoutCredentials(stack: StackConfig): IssueDraft[] {
  const out: IssueDraft[] = [];
  for (const { path, plugins } of pluginScopesOf(stack)) {
    plugins.forEach((plugin, i) => {
      const kind = AUTH_PLUGINS.find((name) => name === plugin.name);
      if (!kind || !plugin.enabled || plugin.config.anonymous !== undefined) return;
      if (stack.consumers.some((c) => c.credentials[kind].length > 0)) return;
      out.push({
        path: [...path, i, "name"],
        severity: "warning",
        message: `${kind} is enabled but no consumer has a ${kind} credential: every request here gets 401`,
      });
    });
  }
  return out;
}

function aclGroups(stack: StackConfig): IssueDraft[] {
  const held = new Set(stack.consumers.flatMap((c) => c.acls));
  const out: IssueDraft[] = [];
  for (const { path, plugins } of pluginScopesOf(stack)) {
    plugins.forEach((plugin, i) => {
      if (plugin.name !== "acl") return;
      for (const field of ["allow", "deny"] as const) {
        const groups = plugin.config[field];
        if (!Array.isArray(groups)) continue;
        groups.forEach((group, g) => {
          if (typeof group === "string" && !held.has(group)) {
            out.push({
              path: [...path, i, "config", field, g],
              severity: "warning",
              message: `acl group "${group}" is not in any consumer's acls`,
            });
          }
        });
      }
      if (!authCovers(stack, path)) {
        out.push({
          path: [...path, i, "name"],
          severity: "warning",
          message: `acl needs an authentication plugin (${AUTH_PLUGINS.join(", ")}) on this route, its service or globally`,
        });
      }
    });
  }
  return out;
}

/** Whether an auth plugin runs for the scope at `path` (global, its service, or its route). */
function authCovers(stack: StackConfig, path: KeyPath): boolean {
  const isAuth = (p: PluginSpec) => p.enabled && (AUTH_PLUGINS as string[]).includes(p.name);
  if (stack.gateway.plugins.some(isAuth)) return true;
  if (path[0] !== "services") return false;
  const service = stack.services[path[1] as number];
  if (!service) return false;
  if (service.plugins.some(isAuth)) return true;
  if (path[2] === "routes") return service.routes[path[3] as number]?.plugins.some(isAuth) ?? false;
  return service.routes.every((route) => route.plugins.some(isAuth));
}

function portClashes(stack: StackConfig): IssueDraft[] {
  const ports: { port: number; path: KeyPath }[] = [
    { port: stack.ports.http, path: ["ports", "http"] },
    { port: stack.ports.https, path: ["ports", "https"] },
  ];
  for (const [name, addon] of Object.entries(stack.addons)) {
    if (addon.enabled && "port" in addon && addon.port !== undefined)
      ports.push({ port: addon.port, path: ["addons", name, "port"] });
  }
  return duplicates(
    ports,
    (p) => String(p.port),
    (p) => ({ path: p.path, message: `host port ${p.port} is already used by another entry` }),
  );
}

function addonDependencies(stack: StackConfig): IssueDraft[] {
  if (stack.addons.grafana.enabled && !stack.addons.prometheus.enabled) {
    return [
      {
        path: ["addons", "grafana"],
        severity: "warning",
        message: "grafana's dashboards read from prometheus; enable addons.prometheus too",
      },
    ];
  }
  return [];
}
