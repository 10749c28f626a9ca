/**
 * Deterministic entity ids exactly as Kong's declarative loader makes them: a UUID v5 in
 * the namespace v5(ENTITIES_NS, "<entity type>") of the entity's endpoint key (service
 * name, consumer username, credential key…) or cache key. So a file loaded by Kong and
 * by this gateway yields the same ids, and reloading the same file keeps ids stable.
 */
import { createHash } from "node:crypto";

/** Kong's `_entities` namespace (kong/db/schema/others/declarative_config.lua). */
export const ENTITIES_NAMESPACE = "fd02801f-0957-4a15-a55a-c8d9606f30b5";

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

function formatUuid(bytes: Buffer): string {
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** RFC 4122 UUID version 5 (SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  return v5(uuidBytes(namespace), name);
}

function v5(namespace: Buffer, name: string): string {
  const bytes = createHash("sha1").update(namespace).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes);
}

const namespaces = new Map<string, Buffer>();

/** Id of an entity of `entityType` ("services", "routes"…) whose key is `key`. */
export function entityId(entityType: string, key: string): string {
  let ns = namespaces.get(entityType);
  if (ns === undefined) {
    ns = uuidBytes(uuidV5(ENTITIES_NAMESPACE, entityType));
    namespaces.set(entityType, ns);
  }
  return v5(ns, key);
}
