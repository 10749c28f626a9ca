/**
 * Credentials out of every log: the one redaction the stdout access log and the log-phase
 * entry (file-log, http-log and what they feed: Logstash, Elasticsearch, Kibana) apply to
 * every field that can carry one — request headers, response headers, the query string
 * (`querystring`, and the query part of `request.uri`, `request.url` and `upstream_uri`).
 *
 * Credential names are a fixed base list plus the names the configuration's auth plugins read
 * credentials from (key-auth `key_names`, jwt `uri_param_names` and `header_names`), across the
 * whole configuration: computed once per loaded configuration, on the first request that
 * logs. Names compare case-insensitively and query names percent-decoded (as the plugins read
 * them): a redaction too many never leaks.
 */
import type { GatewayConfig } from "../config/types.js";
import { addValue } from "./access-log.js";

export const REDACTED = "REDACTED";

/** Header fields whose values are credentials whatever the configuration says. */
const BASE_HEADERS = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "apikey",
  "api-key",
  "x-api-key",
];

/** Query arguments whose values are credentials whatever the configuration says. */
const BASE_QUERY_ARGS = [
  "apikey",
  "api_key",
  "api-key",
  "key",
  "jwt",
  "token",
  "access_token",
  "id_token",
  "refresh_token",
  "password",
  "secret",
  "client_secret",
];

/** The plugin config fields that name where a credential travels. */
const CREDENTIAL_NAME_FIELDS: Readonly<Record<string, { headers: string[]; queryArgs: string[] }>> = {
  "key-auth": { headers: ["key_names"], queryArgs: ["key_names"] },
  jwt: { headers: ["header_names"], queryArgs: ["uri_param_names"] },
};

/** Header and query argument names that carry credentials, as configured (deduplicated). */
export interface CredentialNames {
  readonly headers: readonly string[];
  readonly queryArgs: readonly string[];
}

/**
 * The base names plus those named by the plugin entries' configs (defaults applied or not:
 * an auth plugin's default names are in the base lists). Shared with the Caddyfile renderer,
 * so the edge's access log hides the same names.
 */
export function credentialNames(plugins: Iterable<{ name: string; config: unknown }>): CredentialNames {
  const headers = new Set(BASE_HEADERS);
  const queryArgs = new Set(BASE_QUERY_ARGS);
  const addFrom = (config: unknown, fields: readonly string[], into: Set<string>) => {
    if (typeof config !== "object" || config === null) return;
    for (const field of fields) {
      const names = (config as Record<string, unknown>)[field];
      if (Array.isArray(names)) for (const n of names) if (typeof n === "string" && n !== "") into.add(n);
    }
  };
  for (const plugin of plugins) {
    const fields = CREDENTIAL_NAME_FIELDS[plugin.name];
    if (fields === undefined) continue;
    addFrom(plugin.config, fields.headers, headers);
    addFrom(plugin.config, fields.queryArgs, queryArgs);
  }
  return { headers: [...headers], queryArgs: [...queryArgs] };
}

type Fields = Record<string, string | string[]>;

/** A query argument's name as URLSearchParams (and so the plugins) decode it. */
function decodedName(raw: string): string {
  if (!raw.includes("%") && !raw.includes("+") && !raw.startsWith("?")) return raw;
  for (const [name] of new URLSearchParams(raw)) return name;
  return raw;
}

export class LogRedaction {
  private readonly headerNames: ReadonlySet<string>;
  private readonly queryNames: ReadonlySet<string>;

  constructor(names: CredentialNames) {
    this.headerNames = new Set(names.headers.map((n) => n.toLowerCase()));
    this.queryNames = new Set(names.queryArgs.map((n) => n.toLowerCase()));
  }

  /**
   * The raw query string with each credential argument's value replaced by REDACTED; the other
   * arguments are kept byte for byte. Every query-bearing log field goes through here.
   */
  query(rawQuery: string): string {
    if (rawQuery === "") return rawQuery;
    let touched = false;
    const pairs = rawQuery.split("&").map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      if (!this.queryNames.has(decodedName(name).toLowerCase())) return pair;
      touched = true;
      return `${name}=${REDACTED}`;
    });
    return touched ? pairs.join("&") : rawQuery;
  }

  /** A request target or URL (`/p?q`, `http://h/p?q`) with its query redacted. */
  target(uri: string): string {
    const q = uri.indexOf("?");
    return q === -1 ? uri : `${uri.slice(0, q + 1)}${this.query(uri.slice(q + 1))}`;
  }

  /** Kong's `querystring` record, from the redacted query. */
  queryRecord(rawQuery: string): Fields {
    const out: Fields = {};
    if (rawQuery === "") return out;
    for (const [k, v] of new URLSearchParams(this.query(rawQuery))) addValue(out, k, v);
    return out;
  }

  /** A header record (lowercased names) with credential fields' values replaced. */
  headers(headers: Readonly<Record<string, string | string[] | undefined>>): Fields {
    const out: Fields = {};
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined) continue;
      out[name] = this.headerNames.has(name.toLowerCase()) ? REDACTED : v;
    }
    return out;
  }
}

/** Before any configuration is loaded: the base names only. */
export const BASE_LOG_REDACTION = new LogRedaction(credentialNames([]));

const byConfig = new WeakMap<GatewayConfig, LogRedaction>();

/** The redaction for a loaded configuration (built on first use, kept as long as the configuration). */
export function logRedactionFor(config: GatewayConfig | null): LogRedaction {
  if (config === null) return BASE_LOG_REDACTION;
  let redaction = byConfig.get(config);
  if (redaction === undefined) {
    redaction = new LogRedaction(credentialNames(config.plugins));
    byConfig.set(config, redaction);
  }
  return redaction;
}
