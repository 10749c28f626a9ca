/**
 * Consumers (Kong kong/db/schema/entities/consumers.lua): who calls, as authentication plugins
 * identify them. Endpoint key `username`; `username` and `custom_id` unique, one of them set.
 */
import { atLeastOneOf, type RecordField } from "../schema/fields.js";
import * as t from "../schema/typedefs.js";
import { type EntityDefinition, IGNORED } from "./entity.js";

export interface GatewayConsumer {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string[] | null;
}

export const consumerSchema: RecordField = {
  type: "record",
  ignored: IGNORED,
  fields: {
    id: t.uuid,
    username: { type: "string" },
    custom_id: { type: "string" },
    tags: t.tags,
  },
  checks: [atLeastOneOf(["custom_id", "username"])],
};

export const consumers: EntityDefinition<GatewayConsumer> = {
  name: "consumers",
  schema: consumerSchema,
  endpointKey: "username",
  endpointKeyUnique: true,
  unique: ["username", "custom_id"],
  foreignKeys: {},
  assemble: ({ value: v }, a) => ({
    id: v.id as string,
    username: a.str(v.username),
    custom_id: a.str(v.custom_id),
    tags: a.tags(v.tags),
  }),
};
