/**
 * Declarative documents and Admin API config posts shared by the plugin tests of
 * rate-limiting, request-size-limiting, proxy-cache, prometheus, http-log and file-log.
 */

export interface PluginRoute {
  /** the route's path; the route is named after it (`/a/b` → `r-a-b`) */
  path: string;
  /** the plugin's config on this route */
  config: Record<string, unknown>;
  /** more plugin entries on the route (e.g. key-auth) */
  extra?: object[];
}

/** One service on `upstreamUrl` whose routes each carry one `plugin` entry. */
export function routesWithPlugin(
  upstreamUrl: string,
  plugin: string,
  routes: PluginRoute[],
  top: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    _format_version: "3.0",
    ...top,
    services: [
      {
        name: "svc",
        url: upstreamUrl,
        routes: routes.map((r) => ({
          name: `r${r.path.replaceAll("/", "-")}`,
          paths: [r.path],
          plugins: [{ name: plugin, config: r.config }, ...(r.extra ?? [])],
        })),
      },
    ],
  };
}

/** POST a configuration holding one global `plugin` entry; the Admin API's status and body. */
export async function postPluginConfig(
  adminUrl: string | null,
  plugin: string,
  config: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${adminUrl}/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ _format_version: "3.0", plugins: [{ name: plugin, config }] }),
  });
  return { status: res.status, text: await res.text() };
}

/** One service on `upstreamUrl` carrying the plugin entry `plugin`, with one route on `path`. */
export function servicePluginDoc(
  upstreamUrl: string,
  plugin: Record<string, unknown>,
  path: string,
): Record<string, unknown> {
  return {
    _format_version: "3.0",
    services: [
      {
        name: "svc",
        url: upstreamUrl,
        routes: [{ name: `r${path.replaceAll("/", "-")}`, paths: [path] }],
        plugins: [plugin],
      },
    ],
  };
}
