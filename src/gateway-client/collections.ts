/**
 * The entity kinds as the Admin API serves them in database mode: where each is listed and
 * written (targets and credentials only under their parent), the order writes go in (parents
 * first, deletes children first), the fields that must be unique in the gateway (its store's
 * unique constraints, plus the id), and a short label to name an entity in a plan or an error.
 */
import { KINDS, type KindName } from "../gateway/config/kinds.js";

/** An entity as the Admin API answers it (foreign keys as `{ id }`). */
export type AdminEntity = { id: string } & Record<string, unknown>;

/** What the Admin API calls the credential collections nested under a consumer. */
export const CREDENTIAL_PATHS: Readonly<Partial<Record<KindName, string>>> = {
  keyauth_credentials: "key-auth",
  jwt_secrets: "jwt",
  basicauth_credentials: "basic-auth",
  hmacauth_credentials: "hmac-auth",
  oauth2_credentials: "oauth2",
  acls: "acls",
};

/** Creates and updates in this order (a parent exists before what references it). */
export const WRITE_ORDER: readonly KindName[] = [
  "services",
  "upstreams",
  "consumers",
  "routes",
  "targets",
  "keyauth_credentials",
  "jwt_secrets",
  "basicauth_credentials",
  "hmacauth_credentials",
  "oauth2_credentials",
  "acls",
  "plugins",
];

/** Deletes in this order (children first). */
export const DELETE_ORDER: readonly KindName[] = [...WRITE_ORDER].reverse();

/** The value the Admin API shows instead of a secret. */
export const REDACTED = "[REDACTED]";

/** The id a foreign key field holds (`{ id }`, or null). */
export function refId(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && typeof (value as { id?: unknown }).id === "string")
    return (value as { id: string }).id;
  return null;
}

/** The parent an entity is listed and written under: targets' upstream, credentials' consumer. */
function parentOf(kind: KindName, entity: Record<string, unknown>): string {
  const field = kind === "targets" ? "upstream" : "consumer";
  const id = refId(entity[field]);
  if (id === null) throw new Error(`${kind} ${String(entity.id)} has no ${field}`);
  return encodeURIComponent(id);
}

/** The path one entity is read, replaced and deleted at. */
export function entityPath(kind: KindName, entity: AdminEntity): string {
  const id = encodeURIComponent(entity.id);
  if (kind === "targets") return `/upstreams/${parentOf(kind, entity)}/targets/${id}`;
  const credential = CREDENTIAL_PATHS[kind];
  if (credential !== undefined) return `/consumers/${parentOf(kind, entity)}/${credential}/${id}`;
  return `/${kind}/${id}`;
}

/** The list of `kind` entities under `parentId` (targets, credentials), or the top-level list. */
export function listPath(kind: KindName, parentId?: string): string {
  if (kind === "targets") return `/upstreams/${encodeURIComponent(parentId ?? "")}/targets`;
  const credential = CREDENTIAL_PATHS[kind];
  if (credential !== undefined) return `/consumers/${encodeURIComponent(parentId ?? "")}/${credential}`;
  return `/${kind}`;
}

/** Fields of the kind's schema (what a declarative document may carry), id first. */
export function schemaFields(kind: KindName): string[] {
  return ["id", ...Object.keys(KINDS[kind].schema.fields).filter((f) => f !== "id")];
}

/**
 * The unique keys of an entity as `field=value` strings (the gateway store's unique constraints:
 * names, usernames, custom ids, credential keys, a plugin's scope, an ACL group or a target within
 * its parent). A redacted or unset value is no key.
 */
export function uniqueKeys(kind: KindName, e: Record<string, unknown>): string[] {
  const text = (field: string): string | null => {
    const v = e[field];
    return typeof v === "string" && v !== REDACTED ? v : null;
  };
  const keys: string[] = [];
  const add = (name: string, value: string | null) => {
    if (value !== null) keys.push(`${name}=${value}`);
  };
  switch (kind) {
    case "services":
    case "routes":
    case "upstreams":
      add("name", text("name"));
      break;
    case "consumers":
      add("username", text("username"));
      add("custom_id", text("custom_id"));
      break;
    case "keyauth_credentials":
    case "jwt_secrets":
      add("key", text("key"));
      break;
    case "basicauth_credentials":
    case "hmacauth_credentials":
      add("username", text("username"));
      break;
    case "oauth2_credentials":
      add("client_id", text("client_id"));
      break;
    case "acls":
      add("consumer+group", text("group") === null ? null : `${refId(e.consumer)}/${text("group")}`);
      break;
    case "targets":
      add("upstream+target", text("target") === null ? null : `${refId(e.upstream)}/${text("target")}`);
      break;
    case "plugins":
      add(
        "scope",
        `${text("name")} service=${refId(e.service) ?? "-"} route=${refId(e.route) ?? "-"} consumer=${refId(e.consumer) ?? "-"}`,
      );
      add("instance_name", text("instance_name"));
      break;
  }
  return keys;
}

/** A short human name: `services orders`, `plugins rate-limiting (service …)`, else the id. */
export function labelOf(kind: KindName, e: Record<string, unknown>): string {
  const str = (f: string) => (typeof e[f] === "string" && e[f] !== REDACTED ? (e[f] as string) : null);
  let name: string | null = null;
  switch (kind) {
    case "services":
    case "routes":
    case "upstreams":
      name = str("name");
      break;
    case "consumers":
      name = str("username") ?? str("custom_id");
      break;
    case "targets":
      name = str("target");
      break;
    case "basicauth_credentials":
    case "hmacauth_credentials":
      name = str("username");
      break;
    case "jwt_secrets":
      name = str("key");
      break;
    case "oauth2_credentials":
      name = str("name");
      break;
    case "acls":
      name = str("group");
      break;
    case "plugins": {
      const scope = (["service", "route", "consumer"] as const)
        .map((f) => (refId(e[f]) === null ? null : `${f} ${refId(e[f])}`))
        .filter((s) => s !== null);
      name = `${str("instance_name") ?? str("name")}${scope.length > 0 ? ` (${scope.join(", ")})` : " (global)"}`;
      break;
    }
    default:
      name = null;
  }
  return name === null ? `${kind} ${e.id}` : `${kind} ${name}`;
}
