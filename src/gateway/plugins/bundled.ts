/**
 * Names and Kong priorities of the plugins bundled with the gateway. The stack.yaml
 * validator and the renderer use this list to reject unknown plugin names without
 * loading any handler code. Each name has a folder src/gateway/plugins/<name>/.
 */
export const BUNDLED_PLUGIN_PRIORITIES = {
  "correlation-id": 100001,
  cors: 2000,
  jwt: 1450,
  oauth2: 1400,
  "key-auth": 1250,
  "basic-auth": 1100,
  "hmac-auth": 1030,
  "ip-restriction": 990,
  "request-size-limiting": 951,
  acl: 950,
  "rate-limiting": 910,
  "response-ratelimiting": 900,
  "request-transformer": 801,
  "response-transformer": 800,
  "proxy-cache": 100,
  opentelemetry: 14,
  prometheus: 13,
  "http-log": 12,
  statsd: 11,
  "file-log": 9,
  "udp-log": 8,
  "tcp-log": 7,
  syslog: 4,
  "request-termination": 2,
} as const satisfies Record<string, number>;

export type BundledPluginName = keyof typeof BUNDLED_PLUGIN_PRIORITIES;

export const BUNDLED_PLUGIN_NAMES = Object.keys(BUNDLED_PLUGIN_PRIORITIES) as BundledPluginName[];

/** Plugins that identify a consumer, and the stack.yaml credential kind each one reads. */
export const AUTH_PLUGIN_CREDENTIALS = {
  "key-auth": "keyauth_credentials",
  jwt: "jwt_secrets",
  "basic-auth": "basicauth_credentials",
  "hmac-auth": "hmacauth_credentials",
  oauth2: "oauth2_credentials",
} as const;
