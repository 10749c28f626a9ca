/**
 * The gateway's normalized, validated declarative configuration: what the loader
 * (config/) produces from a Kong `kong.yml` and what the router, balancer, plugins and
 * Admin API consume. Field names follow Kong's entities; every default is filled in,
 * every id is assigned (Kong-style UUIDs, derived deterministically from names when the
 * file gives none), references are resolved to ids, vault references are resolved.
 * Lists the file leaves unset are null, an empty list written in the file stays `[]` (Kong
 * answers them so in its Admin API).
 */

export type Protocol = "http" | "https" | "grpc" | "grpcs" | "tcp" | "tls" | "ws" | "wss";

export interface GatewayService {
  id: string;
  name: string | null;
  protocol: Protocol;
  host: string;
  port: number;
  path: string | null;
  retries: number;
  /** milliseconds */
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  enabled: boolean;
  tags: string[] | null;
}

export interface GatewayRoute {
  id: string;
  name: string | null;
  /** id of the service, or null (a route without service answers 503 in Kong) */
  service: string | null;
  protocols: Protocol[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  /** header name (lowercased) → accepted values */
  headers: Record<string, string[]> | null;
  snis: string[] | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: "v0" | "v1";
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[] | null;
}

export interface HealthcheckActive {
  type: "http" | "https" | "tcp";
  http_path: string;
  /** SNI sent by https probes (null: the target host) */
  https_sni?: string | null;
  timeout: number; // seconds
  concurrency: number;
  https_verify_certificate: boolean;
  headers: Record<string, string[]> | null;
  healthy: { interval: number; successes: number; http_statuses: number[] };
  unhealthy: {
    interval: number;
    http_failures: number;
    tcp_failures: number;
    timeouts: number;
    http_statuses: number[];
  };
}

export interface HealthcheckPassive {
  type: "http" | "https" | "tcp";
  healthy: { successes: number; http_statuses: number[] };
  unhealthy: { http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] };
}

export interface GatewayUpstream {
  id: string;
  name: string;
  algorithm: "round-robin" | "least-connections" | "consistent-hashing" | "latency";
  hash_on: "none" | "consumer" | "ip" | "header" | "cookie" | "path" | "query_arg" | "uri_capture";
  hash_fallback: "none" | "consumer" | "ip" | "header" | "cookie" | "path" | "query_arg" | "uri_capture";
  hash_on_header: string | null;
  hash_fallback_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg: string | null;
  hash_fallback_query_arg: string | null;
  hash_on_uri_capture: string | null;
  hash_fallback_uri_capture: string | null;
  slots: number;
  host_header: string | null;
  healthchecks: { active: HealthcheckActive; passive: HealthcheckPassive; threshold: number };
  tags: string[] | null;
}

export interface GatewayTarget {
  id: string;
  upstream: string; // upstream id
  /** "host:port" as written (port defaults to 8000 as in Kong) */
  target: string;
  weight: number;
  tags: string[] | null;
}

export interface GatewayConsumer {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string[] | null;
}

export interface KeyAuthCredential {
  id: string;
  consumer: string;
  key: string;
  ttl: number | null;
  tags: string[] | null;
}

export interface JwtSecret {
  id: string;
  consumer: string;
  key: string;
  secret: string;
  algorithm:
    | "HS256"
    | "HS384"
    | "HS512"
    | "RS256"
    | "RS384"
    | "RS512"
    | "ES256"
    | "ES384"
    | "ES512"
    | "PS256"
    | "PS384"
    | "PS512"
    | "EdDSA";
  rsa_public_key: string | null;
  tags: string[] | null;
}

export interface BasicAuthCredential {
  id: string;
  consumer: string;
  username: string;
  /** Plain text as declared (Kong hashes on insert; we compare in constant time). */
  password: string;
  tags: string[] | null;
}

export interface AclGroup {
  id: string;
  consumer: string;
  group: string;
  tags: string[] | null;
}

export interface GatewayPluginEntry {
  id: string;
  name: string;
  enabled: boolean;
  /** config after the plugin's schema applied its defaults */
  config: Record<string, unknown>;
  service: string | null;
  route: string | null;
  consumer: string | null;
  protocols: Protocol[];
  tags: string[] | null;
}

export interface GatewayConfig {
  format_version: "1.1" | "2.1" | "3.0";
  services: GatewayService[];
  routes: GatewayRoute[];
  upstreams: GatewayUpstream[];
  targets: GatewayTarget[];
  consumers: GatewayConsumer[];
  keyauth_credentials: KeyAuthCredential[];
  jwt_secrets: JwtSecret[];
  basicauth_credentials: BasicAuthCredential[];
  acls: AclGroup[];
  plugins: GatewayPluginEntry[];
  /**
   * md5 hex of the declarative document as parsed (before vault references are
   * resolved), canonical JSON with sorted keys — Kong's `configuration_hash`. The same
   * function (config/hash.ts) lets `stack health` compare with the rendered file.
   */
  hash: string;
}

/** Kong's declarative-config error (HTTP 400 on POST /config; `stack gateway validate`). */
export interface DeclarativeConfigError {
  code: 14;
  name: "invalid declarative configuration";
  message: string;
  /** Nested like Kong: { services: [ { routes: [ { paths: "..." } ] } ] } */
  fields: Record<string, unknown>;
  flattened_errors?: unknown[];
}
