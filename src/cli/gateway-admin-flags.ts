import { Flags } from "@oclif/core";
import { DEFAULT_ADMIN_URL, DEFAULT_SELECT_TAG } from "../gateway-client/sync.js";

/** `--admin-url` / `--admin-token`: which gateway's Admin API a client command talks to. */
export const gatewayAdminFlags = () => ({
  "admin-url": Flags.string({
    description: "The gateway's Admin API.",
    default: DEFAULT_ADMIN_URL,
  }),
  "admin-token": Flags.string({
    description: "The gateway's admin token (sent as Kong-Admin-Token).",
    env: "GATEWAY_ADMIN_TOKEN",
  }),
});

/**
 * `--admin-url` without a default, for the commands that tell "not given" apart: in a stack folder
 * they then talk to every replica of the stack, elsewhere to DEFAULT_ADMIN_URL.
 */
export const gatewayTargetFlags = () => ({
  "admin-url": Flags.string({
    description: `The gateway's Admin API (default: the stack's replicas in a stack folder, else ${DEFAULT_ADMIN_URL}).`,
  }),
  "admin-token": gatewayAdminFlags()["admin-token"],
});

/** `--select-tag`: the tag marking the entities the stack owns (decK's select_tags). */
export const selectTagFlag = (opts: { required: boolean }) =>
  Flags.string({
    description: opts.required
      ? "Tag every entity of the file carries; only gateway entities with it are changed or deleted."
      : "Only entities carrying this tag (e.g. gatestack-managed, what `stack gateway sync` tags).",
    ...(opts.required ? { default: DEFAULT_SELECT_TAG } : {}),
  });
