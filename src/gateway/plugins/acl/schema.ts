import { z } from "zod";
import { ENTITY_CHECK } from "../../config/plugin-config.js";

const groupList = z.array(z.string().min(1)).nullable().default(null);

export const aclSchema = z
  .strictObject({
    allow: groupList.describe(
      "Groups allowed to consume the service or route. Exactly one of `allow` or `deny` must be set.",
    ),
    deny: groupList.describe(
      "Groups not allowed to consume the service or route. Exactly one of `allow` or `deny` must be set.",
    ),
    hide_groups_header: z
      .boolean()
      .default(false)
      .describe("If `true`, the `X-Consumer-Groups` header is not sent upstream."),
    always_use_authenticated_groups: z
      .boolean()
      .default(false)
      .describe(
        "If `true`, groups set by an authentication plugin are used even when a consumer is authenticated " +
          "(falling back to the consumer's groups). By default they are used only without a consumer or with " +
          "the anonymous consumer.",
      ),
  })
  .superRefine((conf, ctx) => {
    const set = (list: string[] | null) => list !== null && list.length > 0;
    if (!set(conf.allow) && !set(conf.deny)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        params: ENTITY_CHECK,
        message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    } else if (set(conf.allow) && set(conf.deny)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        params: ENTITY_CHECK,
        message: "only one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    }
  })
  .describe(
    "Access control by consumer groups (`acls`); runs after authentication. Blocked consumers get 403 " +
      '"You cannot consume this service"; without an identified consumer the answer is 401.',
  );

export type AclConfig = z.infer<typeof aclSchema>;
