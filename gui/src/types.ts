/** What the manager's server answers (notes: the GUI contract of issue 15 §1). */

export interface Session {
  authenticated: boolean;
  loginRequired: boolean;
  csrfToken: string | null;
  mode: "db-less" | "postgres";
  readOnly: boolean;
  readOnlyReason: string | null;
  version: string;
}

export interface Overview {
  version: string;
  mode: string;
  configHash: string | null;
  uptimeSeconds: number;
  requests: { total: number; perSecond: number; errorRate: number };
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  windowSeconds: number;
  upstreamHealth?: { healthy: number; unhealthy: number };
}

/** A JSON Schema as zod's z.toJSONSchema writes it (the parts the forms read). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  readOnly?: boolean;
}

export interface CatalogueEntry {
  name: string;
  priority: number;
  version?: string;
  phases: string[];
  protocols?: string[];
  schema: JsonSchema;
}

export interface ApplyingPlugin {
  id: string;
  name: string;
  priority: number;
  scope: string;
  enabled: boolean;
  /** set for an entry that applies only to requests of this consumer */
  consumer?: { id: string; username: string | null };
}

export interface PluginsApplying {
  route: { id: string; name: string | null };
  service: { id: string; name: string | null } | null;
  plugins: ApplyingPlugin[];
}

/** One access-log line (src/gateway/proxy/access-log.ts). */
export interface AccessLogLine {
  time: string;
  request_id: string;
  method: string;
  path: string;
  query?: string;
  status: number;
  latencies: { gateway: number; upstream: number; total: number };
  route: string | null;
  service: string | null;
  consumer: string | null;
  client_ip: string;
  upstream: string | null;
}

/** An Admin API entity: Kong's JSON, whatever the kind. */
export type Entity = Record<string, unknown> & { id: string };

export interface TargetHealth {
  id: string;
  target: string;
  weight: number;
  health: string;
  data?: { addresses?: Array<{ ip: string; port: number; health: string }> };
}
