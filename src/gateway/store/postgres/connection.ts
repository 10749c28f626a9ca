/**
 * Connections to PostgreSQL through `pg` (node-postgres), loaded on first use: a DB-less gateway never
 * loads it. Errors become DatabaseUnavailableErrors naming the database (user@host:port/db, no password).
 */
import { createRequire } from "node:module";
import type * as Pg from "pg";
import { DatabaseUnavailableError } from "../../errors.js";
import { describePostgres, type PostgresSettings } from "./settings.js";

export type PgClient = Pg.Client;
export type PgPool = Pg.Pool;
export type PgPoolClient = Pg.PoolClient;

let pgModule: typeof Pg | null = null;
function pg(): typeof Pg {
  if (pgModule === null) pgModule = createRequire(import.meta.url)("pg") as typeof Pg;
  return pgModule;
}

function clientConfig(s: PostgresSettings): Pg.ClientConfig {
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    ...(s.password !== undefined ? { password: s.password } : {}),
    database: s.database,
    ssl: s.ssl ? { rejectUnauthorized: s.sslVerify } : false,
    connectionTimeoutMillis: s.timeoutMs,
    query_timeout: s.timeoutMs * 6,
    application_name: "gatestack-gateway",
  };
}

export function newPool(s: PostgresSettings, max = 4): PgPool {
  const pool = new (pg().Pool)({ ...clientConfig(s), max, idleTimeoutMillis: 30_000 });
  // an idle client losing its connection must not crash the process: the next query reports it
  pool.on("error", () => undefined);
  return pool;
}

export function newClient(s: PostgresSettings): PgClient {
  return new (pg().Client)(clientConfig(s));
}

/** A connection problem, said once with where and what to check. */
export function unreachable(s: PostgresSettings, err: unknown): DatabaseUnavailableError {
  const e = err as { code?: string; message?: string };
  const why =
    e.code === "28P01"
      ? "password authentication failed"
      : e.code === "3D000"
        ? "the database does not exist"
        : (e.message ?? String(err));
  return new DatabaseUnavailableError(`cannot reach PostgreSQL at ${describePostgres(s)}: ${why}`, {
    hint: "check KONG_PG_HOST, KONG_PG_PORT, KONG_PG_USER, KONG_PG_PASSWORD and KONG_PG_DATABASE",
    cause: err,
  });
}

/** Is this error the database being unreachable (rather than a bad statement)? */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  const message = (err as Error)?.message ?? "";
  return (
    [
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "ENOTFOUND",
      "EHOSTUNREACH",
      "EPIPE",
      "57P01",
      "57P03",
      "08006",
      "08001",
      "08003",
    ].includes(code) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}
