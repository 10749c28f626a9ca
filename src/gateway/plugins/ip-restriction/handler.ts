/** ip-restriction (Kong 3.x): deny list first, then allow list; Kong's status and message. */
import type { PluginEntry, PluginHandler, RequestContext } from "../types.js";
import { compileIpList, normalizeClientIp } from "./ip-list.js";
import type { IpRestrictionConfig } from "./schema.js";

export function createIpRestrictionHandler(entry: PluginEntry<IpRestrictionConfig>): PluginHandler {
  const conf = entry.config;
  const deny = conf.deny && conf.deny.length > 0 ? compileIpList(conf.deny) : null;
  const allow = conf.allow && conf.allow.length > 0 ? compileIpList(conf.allow) : null;
  const status = conf.status ?? 403;
  const message = conf.message ?? "Your IP address is not allowed";
  return {
    access(ctx: RequestContext) {
      const client = normalizeClientIp(ctx.clientIp);
      if (!client) {
        ctx.exitMessage(403, "Cannot identify the client IP address, unix domain sockets are not supported.");
        return;
      }
      if (deny?.check(client.address, client.family)) {
        ctx.exitMessage(status, message);
        return;
      }
      if (allow && !allow.check(client.address, client.family)) ctx.exitMessage(status, message);
    },
  };
}
