/**
 * `gateway.database: postgres` — Kong's database mode. The stack runs one PostgreSQL (compose
 * service `postgres`), a one-shot job migrates it before any gateway starts, and every gateway
 * replica serves what the database holds (Admin API writes included) instead of gateway.yaml.
 * The names here are the facts compose.yaml, .env and `stack validate` share.
 */
import type { StackConfig } from "./schema.js";

/** The stack's PostgreSQL: compose service (and host name), port, role and database (Kong's defaults). */
export const POSTGRES_SERVICE = "postgres";
export const POSTGRES_PORT = 5432;
export const POSTGRES_USER = "kong";
export const POSTGRES_DB = "kong";
/** The .env variable holding its password. */
export const POSTGRES_PASSWORD = "POSTGRES_PASSWORD";

/** The one-shot service running `migrations bootstrap` then `migrations up` before the gateways start. */
export const MIGRATIONS_SERVICE = "gateway-migrations";

/** Whether the gateways keep their configuration in the stack's PostgreSQL. */
export function usesDatabase(stack: Pick<StackConfig, "gateway">): boolean {
  return stack.gateway.database === "postgres";
}

/** Deploy targets database mode is not rendered for yet, and why. */
const UNSUPPORTED_TARGETS: Readonly<Record<string, string>> = {
  swarm:
    "a Swarm stack has no depends_on, so nothing holds the gateways back until the migrations job has run",
  kubernetes: "the base has no PostgreSQL workload, migrations Job or gateway ordering on it",
};

/** The field a refusal names. */
export const DATABASE_FIELD = ["gateway", "database"] as const;

/**
 * Why `target` cannot run this stack's database mode, or null when it can (or the stack is
 * DB-less): "postgres is not supported for the swarm target yet (…)", said of gateway.database
 * (the error's place, or the path, names the field in front of it).
 */
export function databaseTargetRefusal(stack: Pick<StackConfig, "gateway">, target: string): string | null {
  const why = UNSUPPORTED_TARGETS[target];
  if (!usesDatabase(stack) || why === undefined) return null;
  return `postgres is not supported for the ${target} target yet (${why}); use the compose target (stack up), or gateway.database: off`;
}
