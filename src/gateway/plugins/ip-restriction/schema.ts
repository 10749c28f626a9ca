import { z } from "zod";
import { ENTITY_CHECK } from "../../config/plugin-config.js";
import { parseIpOrCidr } from "./ip-list.js";

const ipOrCidr = z
  .string()
  .refine((s) => parseIpOrCidr(s) !== null, {
    error: (issue) => `invalid ip or cidr range: '${String(issue.input)}'`,
  })
  .describe("An IP address or CIDR block (IPv4 or IPv6), such as 192.168.1.1, 10.0.0.0/8 or 2001:db8::/32.");

export const ipRestrictionSchema = z
  .strictObject({
    allow: z
      .array(ipOrCidr)
      .nullable()
      .default(null)
      .describe(
        "IPs or CIDR ranges allowed; every other client is rejected. At least one of `allow`/`deny`.",
      ),
    deny: z
      .array(ipOrCidr)
      .nullable()
      .default(null)
      .describe("IPs or CIDR ranges rejected (checked before `allow`). At least one of `allow`/`deny`."),
    status: z
      .int()
      .min(100)
      .max(599)
      .nullable()
      .default(null)
      .describe("HTTP status of rejected requests; unset (null) means 403."),
    message: z
      .string()
      .nullable()
      .default(null)
      .describe('Message of rejected requests; unset (null) means "Your IP address is not allowed".'),
  })
  .superRefine((conf, ctx) => {
    if ((conf.allow ?? []).length === 0 && (conf.deny ?? []).length === 0) {
      ctx.addIssue({
        code: "custom",
        path: [],
        params: ENTITY_CHECK,
        message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
      });
    }
  })
  .describe(
    "Allows or denies requests by client IP (the address resolved through `trusted_ips`), IPv4 and IPv6, " +
      "single addresses and CIDR ranges.",
  );

export type IpRestrictionConfig = z.infer<typeof ipRestrictionSchema>;
