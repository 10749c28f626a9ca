/**
 * Where the decK-style gateway commands (`stack gateway diff`, `dump`, `sync`, `ping`) talk to:
 * one gateway given by `--admin-url`, or — in a stack folder — every gateway replica of the
 * running stack (src/health/gateway-replicas.ts), with the stack's rendered gateway.yaml as the
 * desired configuration and its admin token (GATEWAY_ADMIN_TOKEN from the environment or .env).
 */
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Flags } from "@oclif/core";
import { GatestackError } from "../errors.js";
import { AdminClient } from "../gateway-client/admin-client.js";
import type { GatewayReplica } from "../gateway-client/replica.js";
import { findGatewayReplicas } from "../health/gateway-replicas.js";
import { GATEWAY_CONFIG_FILE } from "../render/gateway.js";
import { usesDatabase } from "../stack/database.js";
import { displayPath, type LoadedStack, loadStack, STACK_FILE } from "../stack/load.js";

/** `--in-network`: reach the replicas by container name (from a container on the stack's network). */
export const inNetworkFlag = () =>
  Flags.boolean({
    description:
      "Run from a container on the stack's network (the Jenkins addon): reach each replica by its container name instead of through Docker.",
  });

export interface StackGateways {
  loaded: LoadedStack;
  replicas: GatewayReplica[];
  /** gateway containers that are not running */
  stopped: string[];
  database: boolean;
  engine: "gatestack" | "kong";
}

export async function stackGateways(
  dir: string,
  opts: { adminToken: string | undefined; inNetwork: boolean },
): Promise<StackGateways> {
  const loaded = await loadStack(dir);
  const found = await findGatewayReplicas(loaded, {
    reach: opts.inNetwork ? "network" : "docker",
    adminToken: opts.adminToken ?? (loaded.env.GATEWAY_ADMIN_TOKEN || undefined),
  });
  return {
    loaded,
    ...found,
    database: usesDatabase(loaded.config),
    engine: loaded.config.gateway.engine,
  };
}

/** The stack's rendered gateway.yaml: its text and the path to name it by. */
export async function renderedGatewayConfig(loaded: LoadedStack): Promise<{ text: string; place: string }> {
  const file = join(loaded.dir, GATEWAY_CONFIG_FILE);
  const place = displayPath(file);
  try {
    return { text: await readFile(file, "utf8"), place };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GatestackError("E_IO", code === "ENOENT" ? "not rendered yet" : `cannot read it (${code})`, {
      place,
      hint: "run `stack render`",
    });
  }
}

/** Whether `dir` is a stack folder (holds stack.yaml). */
export async function isStackFolder(dir: string): Promise<boolean> {
  try {
    await access(join(dir, STACK_FILE));
    return true;
  } catch {
    return false;
  }
}

/** One gateway by its Admin API URL, named by it. */
export function singleGateway(url: string, token: string | undefined): GatewayReplica {
  return { name: url, client: new AdminClient({ url, token }) };
}
