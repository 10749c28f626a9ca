/**
 * ACL groups (Kong kong/plugins/acl/daos.lua): a group a consumer belongs to. No endpoint key:
 * ids from the cache key consumer + group; deleted with the consumer.
 */
import type { RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { consumerKey, credentialBase, type EntityDefinition, foreignRef, IGNORED } from "./entity.js";

export interface AclGroup {
  id: string;
  consumer: string;
  group: string;
  tags: string[] | null;
}

export const aclSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    consumer: foreignRef,
    group: { type: "string", required: true },
    tags: t.tags,
  },
};

export const acls: EntityDefinition<AclGroup> = {
  name: "acls",
  schema: aclSchema,
  endpointKeyUnique: false,
  cacheKey: ["consumer", "group"],
  unique: [],
  foreignKeys: consumerKey,
  assemble: (e, a) => ({
    ...credentialBase(e, a),
    group: e.value.group as string,
  }),
};
