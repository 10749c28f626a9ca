/**
 * How to reach PostgreSQL, with Kong's settings: KONG_PG_HOST (127.0.0.1), KONG_PG_PORT (5432),
 * KONG_PG_USER (kong), KONG_PG_PASSWORD, KONG_PG_DATABASE (kong), KONG_PG_SSL (off),
 * KONG_PG_SSL_VERIFY (off), KONG_PG_TIMEOUT (5000 ms) — also as GATEWAY_PG_* and flags. The
 * password is never logged; KONG_PG_PASSWORD_FILE reads it from a file (a Docker secret).
 */
export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  ssl: boolean;
  sslVerify: boolean;
  /** connect and query timeout, ms */
  timeoutMs: number;
}

export const DEFAULT_POSTGRES: PostgresSettings = {
  host: "127.0.0.1",
  port: 5432,
  user: "kong",
  password: undefined,
  database: "kong",
  ssl: false,
  sslVerify: false,
  timeoutMs: 5000,
};

/** `user@host:port/database` — what messages name (never the password). */
export function describePostgres(s: PostgresSettings): string {
  const host = s.host.includes(":") ? `[${s.host}]` : s.host;
  return `${s.user}@${host}:${s.port}/${s.database}`;
}
