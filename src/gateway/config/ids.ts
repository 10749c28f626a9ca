/**
 * Deterministic entity ids exactly as Kong's declarative loader makes them: a UUID v5 in
 * the namespace v5(ENTITIES_NS, "<entity type>") of the entity's endpoint key (service
 * name, consumer username, credential key…) or cache key. So a file loaded by Kong and
 * by this gateway yields the same ids, and reloading the same file keeps ids stable.
 */
import { hash } from "node:crypto";

/** Kong's `_entities` namespace (kong/db/schema/others/declarative_config.lua). */
export const ENTITIES_NAMESPACE = "fd02801f-0957-4a15-a55a-c8d9606f30b5";

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

const HEX = "0123456789abcdef";
/** Where the 16 bytes' hex digits go in the 36-char text (dashes after bytes 4, 6, 8, 10). */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * The 8-4-4-4-12 text of 16 bytes, as ONE flat string (a template of hex slices would leave
 * a tree of ~10 small strings per id: ~300 bytes each instead of 56, for every entity).
 */
function formatUuid(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(36);
  out[8] = out[13] = out[18] = out[23] = 45; // "-"
  for (let i = 0; i < 16; i++) {
    const b = bytes[i]!;
    const at = DIGIT_AT[i]!;
    out[at] = HEX.charCodeAt(b >> 4);
    out[at + 1] = HEX.charCodeAt(b & 15);
  }
  return out.toString("latin1");
}

/** RFC 4122 UUID version 5 (SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  return v5(uuidBytes(namespace), name);
}

function v5(namespace: Buffer, name: string): string {
  const nameLength = Buffer.byteLength(name, "utf8");
  const input = Buffer.allocUnsafe(16 + nameLength);
  namespace.copy(input, 0, 0, 16);
  input.write(name, 16, "utf8");
  const bytes = hash("sha1", input, "buffer");
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
