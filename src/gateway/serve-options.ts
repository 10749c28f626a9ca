import { existsSync } from "node:fs";
import { delimiter } from "node:path";
import { GatestackError } from "../errors.js";
import { type ListenAddress, parseListen } from "./listen.js";
import type { GatewayOptions } from "./server.js";

/** The configuration file the container image reads when nothing else is given. */
export const DEFAULT_CONFIG_PATH = "/etc/gateway/gateway.yaml";

export interface ServeFlags {
  config?: string;
  "proxy-listen"?: string;
  "admin-listen"?: string;
  "status-listen"?: string;
  "admin-token"?: string;
  "trusted-ips"?: string;
  "plugin-dirs"?: string;
}

type Env = Record<string, string | undefined>;

/** First non-empty of: flag, GATEWAY_* variable, Kong's KONG_* variable. */
function pick(
  flag: string | undefined,
  env: Env,
  ours: string,
  kongs?: string,
): { value: string; from: string } | null {
  if (flag !== undefined && flag !== "") return { value: flag, from: "flag" };
  const a = env[ours];
  if (a !== undefined && a !== "") return { value: a, from: ours };
  if (kongs !== undefined) {
    const b = env[kongs];
    if (b !== undefined && b !== "") return { value: b, from: kongs };
  }
  return null;
}

function listen(
  flag: string | undefined,
  env: Env,
  ours: string,
  kongs: string,
  name: string,
): ListenAddress | null | undefined {
  const p = pick(flag, env, ours, kongs);
  if (p === null) return undefined;
  try {
    return parseListen(p.value, name);
  } catch (err) {
    throw new GatestackError("E_USAGE", (err as Error).message, {
      place: p.from === "flag" ? `--${name}` : p.from,
      exitCode: 2,
    });
  }
}

function list(value: string | undefined, sep: RegExp): string[] {
  return (value ?? "")
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * Map `stack gateway serve` flags and the environment onto GatewayOptions: flags first, then
 * GATEWAY_* variables, then Kong's names (KONG_DECLARATIVE_CONFIG, KONG_PROXY_LISTEN,
 * KONG_ADMIN_LISTEN, KONG_STATUS_LISTEN, KONG_TRUSTED_IPS) so one compose service works for
 * both engines. Without any config setting, /etc/gateway/gateway.yaml is used if it exists.
 */
export function serveOptions(flags: ServeFlags, env: Env): GatewayOptions {
  // the gateway process is ours: give the memory of replaced configurations back
  const opts: GatewayOptions = { env, heapCompaction: true };
  const config = pick(flags.config, env, "GATEWAY_CONFIG", "KONG_DECLARATIVE_CONFIG");
  if (config !== null) {
    if (!existsSync(config.value)) {
      throw new GatestackError("E_GATEWAY_CONFIG", "configuration file not found", {
        place: config.value,
        hint: config.from === "flag" ? "check --config" : `check ${config.from}`,
      });
    }
    opts.config = config.value;
  } else if (existsSync(DEFAULT_CONFIG_PATH)) {
    opts.config = DEFAULT_CONFIG_PATH;
  }
  const listeners = [
    ["proxy-listen", "GATEWAY_PROXY_LISTEN", "KONG_PROXY_LISTEN", "proxyListen"],
    ["admin-listen", "GATEWAY_ADMIN_LISTEN", "KONG_ADMIN_LISTEN", "adminListen"],
    ["status-listen", "GATEWAY_STATUS_LISTEN", "KONG_STATUS_LISTEN", "statusListen"],
  ] as const;
  for (const [flag, ours, kongs, key] of listeners) {
    const addr = listen(flags[flag], env, ours, kongs, flag);
    if (addr !== undefined) opts[key] = addr;
  }
  const token = pick(flags["admin-token"], env, "GATEWAY_ADMIN_TOKEN");
  if (token !== null) opts.adminToken = token.value;
  const trusted = pick(flags["trusted-ips"], env, "GATEWAY_TRUSTED_IPS", "KONG_TRUSTED_IPS");
  if (trusted !== null) opts.trustedIps = list(trusted.value, /,/);
  const dirs = pick(flags["plugin-dirs"], env, "GATEWAY_PLUGIN_DIRS");
  if (dirs !== null) opts.pluginDirs = list(dirs.value, new RegExp(`[,${delimiter}]`));
  const refresh = pick(undefined, env, "GATEWAY_DNS_REFRESH_MS");
  if (refresh !== null) {
    const ms = Number(refresh.value);
    if (!Number.isInteger(ms) || ms < 100 || ms > 3_600_000) {
      throw new GatestackError("E_USAGE", "expected a whole number of milliseconds from 100 to 3600000", {
        place: refresh.from,
        exitCode: 2,
      });
    }
    opts.dnsRefreshMs = ms;
  }
  return opts;
}
