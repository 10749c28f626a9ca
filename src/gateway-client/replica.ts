/**
 * A gateway replica as the replica-wide commands (`stack gateway diff`, `sync`, `ping` in a stack
 * folder) see it: a name for the report and an Admin API client (inside its container, or over
 * the network). What happened to it is reported, never thrown: one replica failing leaves the
 * others' answers standing.
 */
import { errorMessage, isGatestackError } from "../errors.js";
import type { AdminClient } from "./admin-client.js";

export interface GatewayReplica {
  /** `gateway-1`, or the Admin API URL for a gateway given by --admin-url */
  name: string;
  client: AdminClient;
}

export interface ReplicaError {
  code: string;
  message: string;
  place?: string;
  hint?: string;
}

export function replicaError(e: unknown): ReplicaError {
  if (isGatestackError(e)) {
    return {
      code: e.code,
      message: e.message,
      ...(e.place ? { place: e.place } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    };
  }
  return { code: "E_INTERNAL", message: errorMessage(e) };
}
