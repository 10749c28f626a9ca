import { MIGRATIONS_SERVICE, usesDatabase } from "../stack/database.js";
import { GATEWAY_ADMIN_TOKEN, gatewayEnvNames } from "../stack/env-vars.js";
import { imageFor } from "../stack/images.js";
import type { StackConfig } from "../stack/schema.js";
import { REDIS_SERVICE, stackHasRedis } from "../stack/shared-state.js";
import { type ComposeService, completed, fastCheck, healthy } from "./compose-model.js";
import { gatewayDatabaseEnv } from "./compose-postgres.js";
import { buildsGatewayImage, GATEWAY_BUILD_CONTEXT } from "./gateway-context.js";
import { envInterpolation, GATEWAY_CONFIG_PATH, PORTS } from "./topology.js";

/**
 * The compose `gateway` service for both engines. The same Kong environment names
 * configure either image (the gatestack gateway reads KONG_* too), the same config folder
 * is mounted at /etc/gateway. Differences:
 *  - gatestack: Admin API on 0.0.0.0:8001 because GATEWAY_ADMIN_TOKEN (Bearer) protects it;
 *  - kong: DB-less Kong has no admin token in OSS, so its Admin API stays on loopback and
 *    Kong Manager is switched off.
 * Secrets referenced from gateway.yaml as {vault://env/NAME} reach the container only as
 * `${NAME}` interpolations from .env. gatestack's own image has a `build:` so `docker compose up`
 * builds it when missing, from the context `stack render` copies into the stack folder.
 * In database mode (gateway.database postgres) the configuration is the database's: no
 * KONG_DECLARATIVE_CONFIG, Kong's KONG_PG_* settings instead, and every replica waits for the
 * migrations job. gateway.yaml stays mounted: `stack gateway sync` seeds the database from it.
 */
export function gatewayService(stack: StackConfig): ComposeService {
  const kong = stack.gateway.engine === "kong";
  const database = usesDatabase(stack);
  const environment: Record<string, string> = {
    ...(database
      ? gatewayDatabaseEnv()
      : { KONG_DATABASE: "off", KONG_DECLARATIVE_CONFIG: GATEWAY_CONFIG_PATH }),
    KONG_PROXY_LISTEN: `0.0.0.0:${PORTS.gatewayProxy}`,
    KONG_ADMIN_LISTEN: `${kong ? "127.0.0.1" : "0.0.0.0"}:${PORTS.gatewayAdmin}`,
    KONG_STATUS_LISTEN: `0.0.0.0:${PORTS.gatewayStatus}`,
    KONG_TRUSTED_IPS: stack.gateway.trusted_ips.join(","),
    KONG_REAL_IP_HEADER: "X-Forwarded-For",
    KONG_REAL_IP_RECURSIVE: "on",
  };
  if (kong) {
    Object.assign(environment, {
      KONG_ADMIN_GUI_LISTEN: "off",
      KONG_PROXY_ACCESS_LOG: "/dev/stdout",
      KONG_ADMIN_ACCESS_LOG: "/dev/stdout",
      KONG_PROXY_ERROR_LOG: "/dev/stderr",
      KONG_ADMIN_ERROR_LOG: "/dev/stderr",
    });
  } else {
    environment[GATEWAY_ADMIN_TOKEN] = envInterpolation(GATEWAY_ADMIN_TOKEN);
    // the gateway manager, published by Caddy at /gateway (its login is the admin token); off, the
    // proxy pays nothing for it
    environment.KONG_ADMIN_GUI_LISTEN = stack.addons.manager.enabled ? `0.0.0.0:${PORTS.gatewayGui}` : "off";
    // the developer portal, published by Caddy at /portal
    if (stack.portal) environment.KONG_PORTAL_GUI_LISTEN = `0.0.0.0:${PORTS.gatewayPortal}`;
  }
  for (const name of gatewayEnvNames(stack)) environment[name] = envInterpolation(name);

  const healthcheck = fastCheck(
    kong
      ? ["CMD", "kong", "health"]
      : [
          "CMD",
          "node",
          "-e",
          `fetch('http://127.0.0.1:${PORTS.gatewayStatus}/status/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
  );

  return {
    image: imageFor(stack, kong ? "kong" : "gateway"),
    ...(buildsGatewayImage(stack) ? { build: { context: GATEWAY_BUILD_CONTEXT } } : {}),
    restart: "unless-stopped",
    environment,
    volumes: ["./config/gateway:/etc/gateway:ro"],
    networks: ["edge", "backend"],
    depends_on: Object.fromEntries([
      ...stack.services.map((s) => [s.name, healthy] as const),
      ...(stackHasRedis(stack) ? [[REDIS_SERVICE, healthy] as const] : []),
      ...(database ? [[MIGRATIONS_SERVICE, completed] as const] : []),
    ]),
    healthcheck,
    deploy: { replicas: stack.gateway.replicas },
  };
}
