/**
 * What the manager's server answers (the GUI contract of issue 15 §1): the shapes the server
 * declares in src/gateway/gui/contract.ts (imported as types only, nothing of the server is
 * bundled), and the ones it passes through from elsewhere (Admin API entities, schemas, log lines).
 */

export type {
  ApplyingPlugin,
  Overview,
  PluginsApplying,
  SessionInfo as Session,
} from "../../src/gateway/gui/contract.js";

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
  schema: JsonSchema;
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
