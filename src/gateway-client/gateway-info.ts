/**
 * What one gateway says about itself through its Admin API, and the one DB-less write:
 *  - `GET /` — version, database mode (`configuration.database`), whether it asks for a token;
 *  - `GET /status` — the configuration_hash of what it serves, whether its database is reachable;
 *  - `POST /config` — a whole declarative document replacing what a DB-less gateway serves.
 */
import { GatestackError } from "../errors.js";
import type { AdminClient } from "./admin-client.js";

export interface GatewayInfo {
  /** Admin API root `version` */
  version: string | null;
  /** `configuration.database`: "off" (DB-less), "postgres" */
  database: string | null;
  /** `configuration.admin_auth`: "token" or "off" (the gatestack gateway says it; Kong does not) */
  adminAuth: string | null;
  /** the served configuration's hash (null when /status gives none) */
  configurationHash: string | null;
  /** `/status` database.reachable */
  databaseReachable: boolean | null;
}

/** `GET /` then `GET /status`; a gateway that does not answer, or answers neither, throws. */
export async function gatewayInfo(client: AdminClient): Promise<GatewayInfo> {
  const root = await client.send("GET", "/");
  if (root.status !== 200 || typeof root.body !== "object" || root.body === null) {
    throw new GatestackError("E_GATEWAY_ADMIN", `GET / answered ${root.status}: not a Kong Admin API`, {
      place: client.base,
      hint: "check --admin-url (the Admin API, port 8001 in the stack, not the proxy)",
    });
  }
  const body = root.body as {
    version?: unknown;
    configuration?: { database?: unknown; admin_auth?: unknown };
  };
  const status = await configurationStatus(client);
  return {
    version: typeof body.version === "string" ? body.version : null,
    database: typeof body.configuration?.database === "string" ? body.configuration.database : null,
    adminAuth: typeof body.configuration?.admin_auth === "string" ? body.configuration.admin_auth : null,
    ...status,
  };
}

/** `GET /status`: the configuration_hash served and whether the database is reachable. */
export async function configurationStatus(
  client: AdminClient,
): Promise<{ configurationHash: string | null; databaseReachable: boolean | null }> {
  const answer = await client.send("GET", "/status");
  if (answer.status !== 200 || typeof answer.body !== "object" || answer.body === null)
    return { configurationHash: null, databaseReachable: null };
  const body = answer.body as { configuration_hash?: unknown; database?: { reachable?: unknown } };
  return {
    configurationHash:
      typeof body.configuration_hash === "string" && body.configuration_hash !== ""
        ? body.configuration_hash
        : null,
    databaseReachable: typeof body.database?.reachable === "boolean" ? body.database.reachable : null,
  };
}

/**
 * `POST /config` with the document's text (JSON `{ "config": text }`, as decK and Kong's own
 * clients send it): the gateway validates the whole document and swaps it in, or refuses it
 * with Kong's code-14 error body, which becomes the error's message and data.
 */
export async function postConfig(client: AdminClient, text: string): Promise<void> {
  await client.write("POST", "/config", { config: text });
}
