import { existsSync, readFileSync } from "node:fs";
import { delimiter } from "node:path";
import { GatestackError } from "../errors.js";
import { parseDnsOrder, parseDnsResolver } from "../gateway/balancer/index.js";
import { type ListenAddress, parseListen } from "../gateway/listen.js";
import {
  parseTracingInstrumentations,
  parseTracingSamplingRate,
} from "../gateway/plugins/_shared/tracing-settings.js";
import { parseRealIpRecursive } from "../gateway/proxy/real-ip.js";
import type { GatewayOptions } from "../gateway/server.js";
import { DEFAULT_POSTGRES, type PostgresSettings } from "../gateway/store/postgres/settings.js";

/** The configuration file the container image reads when nothing else is given. */
export const DEFAULT_CONFIG_PATH = "/etc/gateway/gateway.yaml";

export interface ServeFlags {
  config?: string;
  "proxy-listen"?: string;
  "admin-listen"?: string;
  "status-listen"?: string;
  "gui-listen"?: string;
  "portal-listen"?: string;
  "admin-token"?: string;
  "trusted-ips"?: string;
  "real-ip-header"?: string;
  "real-ip-recursive"?: string;
  "client-body-timeout"?: string;
  "client-body-min-rate"?: string;
  "plugin-dirs"?: string;
  "dns-resolver"?: string;
  "dns-order"?: string;
  "tracing-instrumentations"?: string;
  "tracing-sampling-rate"?: string;
  database?: string;
  "pg-host"?: string;
  "pg-port"?: string;
  "pg-user"?: string;
  "pg-database"?: string;
}

type Env = Record<string, string | undefined>;

/** First non-empty of: flag, GATEWAY_* variable, Kong's KONG_* variable(s). */
function pick(
  flag: string | undefined,
  env: Env,
  ours: string,
  ...kongs: string[]
): { value: string; from: string } | null {
  if (flag !== undefined && flag !== "") return { value: flag, from: "flag" };
  for (const name of [ours, ...kongs]) {
    const v = env[name];
    if (v !== undefined && v !== "") return { value: v, from: name };
  }
  return null;
}

/** A setting's value converted by `parse`; a bad value is a usage error naming where it came from. */
function parsed<T>(
  p: { value: string; from: string } | null,
  flag: string,
  parse: (value: string) => T,
): T | undefined {
  if (p === null) return undefined;
  try {
    return parse(p.value);
  } catch (err) {
    throw new GatestackError("E_USAGE", (err as Error).message, {
      place: p.from === "flag" ? `--${flag}` : p.from,
      exitCode: 2,
    });
  }
}

const NGINX_TIME_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** nginx's time syntax as Kong's injected directives take it: `60s`, `1m`, `500ms`, a bare number of seconds. */
export function parseNginxTimeMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (m === null)
    throw new Error(`expected a time such as 60s, 1m or 500ms (0 turns it off), got "${value}"`);
  return Number(m[1]) * NGINX_TIME_UNITS_MS[m[2] ?? "s"]!;
}

/** A rate in bytes per second: `240`, `1k` (1024), `1m`. */
export function parseByteRate(value: string): number {
  const m = /^(\d+)([km])?$/i.exec(value.trim());
  if (m === null)
    throw new Error(`expected bytes per second such as 240 or 1k (0 turns it off), got "${value}"`);
  const unit = m[2]?.toLowerCase();
  return Number(m[1]) * (unit === "k" ? 1024 : unit === "m" ? 1024 * 1024 : 1);
}

function listen(
  flag: string | undefined,
  env: Env,
  ours: string,
  kongs: string,
  name: string,
): ListenAddress | null | undefined {
  return parsed(pick(flag, env, ours, kongs), name, (value) => parseListen(value, name));
}

function list(value: string | undefined, sep: RegExp): string[] {
  return (value ?? "")
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

const ON_OFF = (name: string) => (v: string) => {
  const value = v.trim().toLowerCase();
  if (value === "on" || value === "true") return true;
  if (value === "off" || value === "false") return false;
  throw new Error(`${name}: expected "on" or "off", got "${v}"`);
};

/**
 * PostgreSQL settings, Kong's names first among the variables (KONG_PG_HOST…, also GATEWAY_PG_*),
 * flags before both. The password comes only from the environment (KONG_PG_PASSWORD, or
 * KONG_PG_PASSWORD_FILE): never a flag, which `ps` would show.
 */
export function postgresSettings(flags: ServeFlags, env: Env): PostgresSettings {
  const e = withFileVariables(env);
  const get = (flag: string | undefined, name: string) =>
    pick(flag, e, `GATEWAY_PG_${name}`, `KONG_PG_${name}`);
  const port = parsed(get(flags["pg-port"], "PORT"), "pg-port", (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < 1 || n > 65535) throw new Error(`expected a port number, got "${v}"`);
    return n;
  });
  const timeout = parsed(get(undefined, "TIMEOUT"), "pg-timeout", (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 100) throw new Error(`expected milliseconds (at least 100), got "${v}"`);
    return n;
  });
  return {
    host: get(flags["pg-host"], "HOST")?.value ?? DEFAULT_POSTGRES.host,
    port: port ?? DEFAULT_POSTGRES.port,
    user: get(flags["pg-user"], "USER")?.value ?? DEFAULT_POSTGRES.user,
    password: get(undefined, "PASSWORD")?.value,
    database: get(flags["pg-database"], "DATABASE")?.value ?? DEFAULT_POSTGRES.database,
    ssl: parsed(get(undefined, "SSL"), "pg-ssl", ON_OFF("pg_ssl")) ?? DEFAULT_POSTGRES.ssl,
    sslVerify:
      parsed(get(undefined, "SSL_VERIFY"), "pg-ssl-verify", ON_OFF("pg_ssl_verify")) ??
      DEFAULT_POSTGRES.sslVerify,
    timeoutMs: timeout ?? DEFAULT_POSTGRES.timeoutMs,
  };
}

/**
 * The Docker-secrets convention (as the postgres and grafana images have it): `NAME_FILE=/path` gives
 * NAME the content of that file (one trailing newline dropped), for the settings and for
 * `{vault://env/NAME}` references alike — so a Swarm secret mounted at /run/secrets/NAME never has to
 * be an environment value. Resolved when NAME is read, and only then: an unrelated `*_FILE` variable of
 * the environment (TF_CLI_CONFIG_FILE…) is never opened. Reading a NAME whose NAME_FILE cannot be read,
 * or that is set both ways, is a usage error naming NAME_FILE.
 */
export function withFileVariables(env: Env): Env {
  const read = new Map<string, string>();
  return new Proxy(env, {
    get(target, key) {
      if (typeof key !== "string") return undefined;
      const direct = target[key];
      const fileKey = `${key}_FILE`;
      const path = key.endsWith("_FILE") ? undefined : target[fileKey];
      if (path === undefined || path === "") return direct;
      if (direct !== undefined && direct !== "") {
        throw new GatestackError("E_USAGE", `both ${key} and ${fileKey} are set: keep one`, {
          place: fileKey,
          exitCode: 2,
        });
      }
      const cached = read.get(key);
      if (cached !== undefined) return cached;
      let value: string;
      try {
        value = readFileSync(path, "utf8");
      } catch (err) {
        throw new GatestackError(
          "E_USAGE",
          `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          { place: fileKey, exitCode: 2 },
        );
      }
      const trimmed = value.endsWith("\r\n")
        ? value.slice(0, -2)
        : value.endsWith("\n")
          ? value.slice(0, -1)
          : value;
      read.set(key, trimmed);
      return trimmed;
    },
  });
}

/** `stack gateway serve`'s manager address when none is given (Kong's admin_gui_listen default port). */
export const DEFAULT_GUI_LISTEN = { host: "127.0.0.1", port: 8002 } as const;

/**
 * Map `stack gateway serve` flags and the environment onto GatewayOptions: flags first, then
 * GATEWAY_* variables, then Kong's names (KONG_DECLARATIVE_CONFIG, KONG_PROXY_LISTEN,
 * KONG_ADMIN_LISTEN, KONG_STATUS_LISTEN, KONG_ADMIN_GUI_LISTEN, KONG_PORTAL_GUI_LISTEN, KONG_TRUSTED_IPS, KONG_REAL_IP_HEADER,
 * KONG_REAL_IP_RECURSIVE, KONG_NGINX_PROXY_CLIENT_BODY_TIMEOUT / KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT,
 * KONG_DNS_RESOLVER, KONG_DNS_ORDER, KONG_TRACING_INSTRUMENTATIONS, KONG_TRACING_SAMPLING_RATE)
 * so one compose service works for both engines. Without any config setting, /etc/gateway/gateway.yaml is used if it exists.
 */
export function serveOptions(flags: ServeFlags, given: Env): GatewayOptions {
  const env = withFileVariables(given);
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
    ["portal-listen", "GATEWAY_PORTAL_LISTEN", "KONG_PORTAL_GUI_LISTEN", "portalListen"],
  ] as const;
  for (const [flag, ours, kongs, key] of listeners) {
    const addr = listen(flags[flag], env, ours, kongs, flag);
    if (addr !== undefined) opts[key] = addr;
  }
  // the gateway manager: on by default here (loopback), off in the library
  const gui = listen(flags["gui-listen"], env, "GATEWAY_GUI_LISTEN", "KONG_ADMIN_GUI_LISTEN", "gui-listen");
  opts.guiListen = gui === undefined ? DEFAULT_GUI_LISTEN : gui;
  const specPath = parsed(pick(undefined, env, "GATEWAY_PORTAL_SPEC_PATH"), "portal-spec-path", (v) => {
    if (!v.startsWith("/") || /\s/.test(v))
      throw new Error(`expected a path such as /openapi.json, got "${v}"`);
    return v;
  });
  if (specPath !== undefined) opts.portal = { specPath };
  const token = pick(flags["admin-token"], env, "GATEWAY_ADMIN_TOKEN");
  if (token !== null) opts.adminToken = token.value;
  const trusted = pick(flags["trusted-ips"], env, "GATEWAY_TRUSTED_IPS", "KONG_TRUSTED_IPS");
  if (trusted !== null) opts.trustedIps = list(trusted.value, /,/);
  const realIpHeader = pick(flags["real-ip-header"], env, "GATEWAY_REAL_IP_HEADER", "KONG_REAL_IP_HEADER");
  if (realIpHeader !== null) opts.realIpHeader = realIpHeader.value;
  const recursive = parsed(
    pick(flags["real-ip-recursive"], env, "GATEWAY_REAL_IP_RECURSIVE", "KONG_REAL_IP_RECURSIVE"),
    "real-ip-recursive",
    parseRealIpRecursive,
  );
  if (recursive !== undefined) opts.realIpRecursive = recursive;
  const bodyTimeout = parsed(
    pick(
      flags["client-body-timeout"],
      env,
      "GATEWAY_CLIENT_BODY_TIMEOUT",
      "KONG_NGINX_PROXY_CLIENT_BODY_TIMEOUT",
      "KONG_NGINX_HTTP_CLIENT_BODY_TIMEOUT",
    ),
    "client-body-timeout",
    parseNginxTimeMs,
  );
  if (bodyTimeout !== undefined) opts.clientBodyTimeoutMs = bodyTimeout;
  const minRate = parsed(
    pick(flags["client-body-min-rate"], env, "GATEWAY_CLIENT_BODY_MIN_RATE"),
    "client-body-min-rate",
    parseByteRate,
  );
  if (minRate !== undefined) opts.clientBodyMinRate = minRate;
  const dirs = pick(flags["plugin-dirs"], env, "GATEWAY_PLUGIN_DIRS");
  if (dirs !== null) opts.pluginDirs = list(dirs.value, new RegExp(`[,${delimiter}]`));
  const refresh = parsed(pick(undefined, env, "GATEWAY_DNS_REFRESH_MS"), "dns-refresh-ms", (value) => {
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms < 100 || ms > 3_600_000) {
      throw new Error("expected a whole number of milliseconds from 100 to 3600000");
    }
    return ms;
  });
  if (refresh !== undefined) opts.dnsRefreshMs = refresh;
  const dnsServers = parsed(
    pick(flags["dns-resolver"], env, "GATEWAY_DNS_RESOLVER", "KONG_DNS_RESOLVER"),
    "dns-resolver",
    parseDnsResolver,
  );
  const dnsOrder = parsed(
    pick(flags["dns-order"], env, "GATEWAY_DNS_ORDER", "KONG_DNS_ORDER"),
    "dns-order",
    parseDnsOrder,
  );
  if (dnsServers !== undefined || dnsOrder !== undefined) {
    opts.dns = {
      ...(dnsServers !== undefined ? { servers: dnsServers } : {}),
      ...(dnsOrder !== undefined ? { order: dnsOrder } : {}),
    };
  }
  const instrumentations = parsed(
    pick(
      flags["tracing-instrumentations"],
      env,
      "GATEWAY_TRACING_INSTRUMENTATIONS",
      "KONG_TRACING_INSTRUMENTATIONS",
    ),
    "tracing-instrumentations",
    parseTracingInstrumentations,
  );
  const samplingRate = parsed(
    pick(flags["tracing-sampling-rate"], env, "GATEWAY_TRACING_SAMPLING_RATE", "KONG_TRACING_SAMPLING_RATE"),
    "tracing-sampling-rate",
    parseTracingSamplingRate,
  );
  if (instrumentations !== undefined || samplingRate !== undefined) {
    opts.tracing = {
      ...(instrumentations !== undefined ? { instrumentations } : {}),
      ...(samplingRate !== undefined ? { samplingRate } : {}),
    };
  }
  const database = parsed(pick(flags.database, env, "GATEWAY_DATABASE", "KONG_DATABASE"), "database", (v) => {
    const value = v.trim().toLowerCase();
    if (value !== "off" && value !== "postgres") throw new Error(`expected "off" or "postgres", got "${v}"`);
    return value;
  });
  if (database === "postgres") {
    // the database is the configuration (Kong reads declarative_config only with database = off)
    if (config?.from === "flag") {
      throw new GatestackError("E_GATEWAY_CONFIG", "--config is for DB-less mode (--database off)", {
        place: "--config",
        hint: "in database mode load a declarative file with `stack gateway sync FILE` (or POST /config)",
      });
    }
    delete opts.config;
    // the environment as given: postgresSettings reads KONG_PG_PASSWORD_FILE itself
    opts.database = { postgres: postgresSettings(flags, given) };
  }
  return opts;
}
