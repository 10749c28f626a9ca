import {
  POSTGRES_DB,
  POSTGRES_PASSWORD,
  POSTGRES_PORT,
  POSTGRES_SERVICE,
  POSTGRES_USER,
} from "../stack/database.js";
import { imageFor } from "../stack/images.js";
import type { StackConfig } from "../stack/schema.js";
import { type ComposeService, fastCheck, healthy } from "./compose-model.js";
import { buildsGatewayImage, GATEWAY_BUILD_CONTEXT } from "./gateway-context.js";
import { envInterpolation } from "./topology.js";

/**
 * Kong's database settings, as every gateway replica and the migrations job get them: the stack's
 * PostgreSQL by its service name, the password only as `${POSTGRES_PASSWORD}` from .env. Both
 * engines read these names (the gatestack gateway also takes KONG_PG_PASSWORD_FILE).
 */
export function gatewayDatabaseEnv(): Record<string, string> {
  return {
    KONG_DATABASE: "postgres",
    KONG_PG_HOST: POSTGRES_SERVICE,
    KONG_PG_PORT: String(POSTGRES_PORT),
    KONG_PG_USER: POSTGRES_USER,
    KONG_PG_PASSWORD: envInterpolation(POSTGRES_PASSWORD),
    KONG_PG_DATABASE: POSTGRES_DB,
  };
}

/**
 * The stack's PostgreSQL, where the gateways keep their configuration in database mode. The
 * image's entrypoint creates role and database `kong` on the first start of an empty volume,
 * the password reaching it only as `${POSTGRES_PASSWORD}`. Its data lives in a named volume
 * (Admin API writes must survive a restart), no port is published, it is on the backend network
 * only. The healthcheck asks over TCP: while the entrypoint initializes the data folder it runs
 * a temporary server on the Unix socket only, which a socket probe would take for the real one.
 */
export function postgresService(stack: StackConfig): ComposeService {
  return {
    image: imageFor(stack, "postgres"),
    restart: "unless-stopped",
    environment: {
      POSTGRES_USER,
      POSTGRES_DB,
      [POSTGRES_PASSWORD]: envInterpolation(POSTGRES_PASSWORD),
    },
    volumes: [`${POSTGRES_VOLUME}:/var/lib/postgresql/data`],
    networks: ["backend"],
    healthcheck: fastCheck([
      "CMD",
      "pg_isready",
      "-h",
      "127.0.0.1",
      "-p",
      String(POSTGRES_PORT),
      "-U",
      POSTGRES_USER,
      "-d",
      POSTGRES_DB,
    ]),
  };
}

/** The named volume holding PostgreSQL's data folder. */
export const POSTGRES_VOLUME = "postgres_data";

/**
 * The one-shot job that prepares the database before any gateway starts: `migrations bootstrap`
 * (which leaves an already bootstrapped database alone, in Kong as in gatestack) then
 * `migrations up` (what a newer gateway brings), in the gateway's own image — Kong's `kong
 * migrations` for gateway.engine kong. `restart: "no"`: it runs to completion once per `up`, and
 * the gateways wait for it to exit 0 (`service_completed_successfully`). The image's own
 * healthcheck (the proxy's readiness) is switched off: the job serves nothing.
 */
export function migrationsService(stack: StackConfig): ComposeService {
  const kong = stack.gateway.engine === "kong";
  const migrations = kong ? "kong migrations" : "node bin/run.js gateway migrations";
  return {
    image: imageFor(stack, kong ? "kong" : "gateway"),
    ...(buildsGatewayImage(stack) ? { build: { context: GATEWAY_BUILD_CONTEXT } } : {}),
    restart: "no",
    command: ["sh", "-c", `${migrations} bootstrap && ${migrations} up`],
    environment: gatewayDatabaseEnv(),
    networks: ["backend"],
    depends_on: { [POSTGRES_SERVICE]: healthy },
    healthcheck: { disable: true },
  };
}
