/**
 * acl (Kong 3.x): allow or deny by the groups of the authenticated consumer (or the
 * groups an auth plugin put on the context), and tell the upstream the groups in
 * `X-Consumer-Groups` (`X-Authenticated-Groups` for plugin-provided groups).
 */
import type { PluginEntry, PluginEnvironment, PluginHandler, RequestContext } from "../types.js";
import type { AclConfig } from "./schema.js";

const FORBIDDEN = "You cannot consume this service";

function access(ctx: RequestContext, conf: AclConfig, env: PluginEnvironment): void {
  const denyMode = (conf.deny ?? []).length > 0;
  const listed = new Set(denyMode ? conf.deny : conf.allow);
  const consumerId = ctx.consumer?.id ?? null;
  const anonymousConsumer = consumerId !== null && ctx.credential === null;

  let groups: string[] | null = null;
  let headerName = "x-consumer-groups";
  if (!consumerId || anonymousConsumer || conf.always_use_authenticated_groups) {
    if (ctx.authenticatedGroups) {
      groups = ctx.authenticatedGroups;
      headerName = "x-authenticated-groups";
    }
  }
  if (!groups) {
    if (!consumerId) {
      if (ctx.credential) ctx.exitMessage(403, FORBIDDEN);
      else ctx.exitMessage(401, "Unauthorized");
      return;
    }
    groups = env.credentials.aclGroups(consumerId);
    if (groups.length === 0 && !denyMode) {
      ctx.exitMessage(403, FORBIDDEN);
      return;
    }
  }
  const inList = groups.some((g) => listed.has(g));
  if (denyMode === inList) {
    ctx.exitMessage(403, FORBIDDEN);
    return;
  }
  if (!conf.hide_groups_header && groups.length > 0) ctx.upstream.headers[headerName] = groups.join(", ");
}

export function createAclHandler(entry: PluginEntry<AclConfig>, env: PluginEnvironment): PluginHandler {
  const conf = entry.config;
  return { access: (ctx) => access(ctx, conf, env) };
}
