/**
 * Runs a sync plan through the Admin API, one change at a time in the plan's order:
 *  - top-level entities and credentials: `PUT` at their id (an upsert that keeps the id);
 *  - targets: `POST` under their upstream with the id in the body (the Admin API's target `PUT`
 *    only updates), `PATCH` to update;
 *  - an entity moved to another parent (a credential to another consumer): deleted, then created;
 *  - deletes: `DELETE` at the entity's path (gone already — a parent's cascade — is fine).
 * The first refusal stops the run with the gateway's message; what ran before stays written.
 */
import type { KindName } from "../gateway/config/kinds.js";
import type { AdminClient } from "./admin-client.js";
import { type AdminEntity, entityPath, listPath, refId } from "./collections.js";
import type { PlannedChange } from "./plan.js";

const PARENT_FIELD: Readonly<Partial<Record<KindName, string>>> = {
  targets: "upstream",
  keyauth_credentials: "consumer",
  jwt_secrets: "consumer",
  basicauth_credentials: "consumer",
  hmacauth_credentials: "consumer",
  oauth2_credentials: "consumer",
  acls: "consumer",
};

export async function applyPlan(client: AdminClient, changes: readonly PlannedChange[]): Promise<void> {
  for (const change of changes) await applyChange(client, change);
}

async function applyChange(client: AdminClient, change: PlannedChange): Promise<void> {
  const { kind } = change;
  if (change.action === "delete") {
    await remove(client, kind, change.current!);
    return;
  }
  const desired = change.desired!;
  const parentField = PARENT_FIELD[kind];
  if (change.action === "update" && parentField !== undefined) {
    const moved = refId(desired[parentField]) !== refId(change.current![parentField]);
    if (moved) {
      await remove(client, kind, change.current!);
      await create(client, kind, desired);
      return;
    }
    if (kind === "targets") {
      await client.write("PATCH", entityPath(kind, desired), bodyOf(desired));
      return;
    }
  }
  if (change.action === "create") {
    await create(client, kind, desired);
    return;
  }
  await client.write("PUT", entityPath(kind, desired), bodyOf(desired));
}

async function create(client: AdminClient, kind: KindName, desired: AdminEntity): Promise<void> {
  if (kind === "targets") {
    await client.write("POST", listPath(kind, refId(desired.upstream) ?? ""), desired);
    return;
  }
  await client.write("PUT", entityPath(kind, desired), bodyOf(desired));
}

/** DELETE; gone already (a nested entity an earlier delete of its parent cascaded to) is fine. */
function remove(client: AdminClient, kind: KindName, current: AdminEntity): Promise<void> {
  return client.remove(entityPath(kind, current));
}

/** The entity without its id (the path carries it). */
function bodyOf(entity: AdminEntity): Record<string, unknown> {
  const { id: _id, ...rest } = entity;
  return rest;
}
