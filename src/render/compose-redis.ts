import { imageFor } from "../stack/images.js";
import type { StackConfig } from "../stack/schema.js";
import { REDIS_PASSWORD } from "../stack/shared-state.js";
import { type ComposeService, fastCheck } from "./compose-model.js";
import { envInterpolation } from "./topology.js";

/**
 * The password, in the container's shell: REDIS_PASSWORD, or the content of the file
 * REDIS_PASSWORD_FILE names (the Docker-secrets convention, as the gateway has it), never
 * empty. Written without `${NAME}` and `$(…)` so every target passes it through unchanged.
 */
const PASSWORD = `[ -n "$${REDIS_PASSWORD}_FILE" ] && read -r ${REDIS_PASSWORD} < "$${REDIS_PASSWORD}_FILE"; : "\${${REDIS_PASSWORD}:?is not set}"; `;

/** A shell script as compose.yaml holds it: `$` doubled, so compose leaves it to the shell. */
function composeShell(script: string): string[] {
  return ["sh", "-c", script.replaceAll("$", () => "$$")];
}

/**
 * The stack's Redis, where gateway replicas share rate-limiting counters and cached
 * responses. The password reaches it only as `${REDIS_PASSWORD}` from .env: neither the
 * command nor the healthcheck holds its value (redis-server's process title hides its
 * arguments; redis-cli reads REDISCLI_AUTH from its environment). Nothing is persisted
 * (counters and cache are rebuilt by traffic), no port is published, it is on the backend
 * network only.
 */
export function redisService(stack: StackConfig): ComposeService {
  return {
    image: imageFor(stack, "redis"),
    restart: "unless-stopped",
    command: composeShell(
      `${PASSWORD}exec redis-server --requirepass "$${REDIS_PASSWORD}" --save "" --appendonly no`,
    ),
    environment: { [REDIS_PASSWORD]: envInterpolation(REDIS_PASSWORD) },
    networks: ["backend"],
    healthcheck: fastCheck([
      "CMD",
      ...composeShell(`${PASSWORD}REDISCLI_AUTH="$${REDIS_PASSWORD}" redis-cli ping | grep -q PONG`),
    ]),
  };
}
