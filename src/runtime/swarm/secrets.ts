/**
 * The stack's credentials as Swarm secrets, created from .env through the Engine API (never a file
 * on disk, never a value in the stack file or a service's environment). Secrets are immutable, so a
 * secret's name carries a version that changes with its value: a changed value is a new secret, and
 * the services that mount it roll. The version is an HMAC of the value keyed by the Admin API token
 * (itself random): it tells versions apart without letting anyone who lists the swarm's secrets test
 * guesses of a weak value against it.
 */
import { createHmac } from "node:crypto";
import type Docker from "dockerode";
import { GatestackError } from "../../errors.js";
import type { SwarmSecret } from "../../render/swarm.js";
import { GATEWAY_ADMIN_TOKEN } from "../../stack/env-vars.js";
import { dockerError } from "../engine.js";
import { namespaceFilter, SECRET_KEY_LABEL, STACK_NAMESPACE_LABEL } from "./resources.js";

const NAME_MAX = 64;

export interface ResolvedSecret {
  /** the key in the stack file */
  key: string;
  /** the Swarm secret's name */
  name: string;
  created: boolean;
}

/** The value of a secret from .env (its variables joined by a space); throws naming a missing one. */
export function secretValue(secret: SwarmSecret, env: Readonly<Record<string, string>>): string {
  const parts = secret.from.map((v) => {
    const value = env[v];
    if (value === undefined || value === "") {
      throw new GatestackError("E_ENV_INVALID", `${v} is not set in .env`, {
        place: ".env",
        hint: "`stack validate` lists what stack.yaml needs; `stack init` generates the secrets it can",
      });
    }
    return value;
  });
  return parts.join(" ");
}

/** `<stack>_<key>_<version>`: the version is 12 hex digits of HMAC-SHA256(admin token, key and value). */
export function secretName(
  stack: string,
  key: string,
  value: string,
  env: Readonly<Record<string, string>>,
): string {
  const versionKey = env[GATEWAY_ADMIN_TOKEN];
  if (!versionKey) {
    throw new GatestackError("E_ENV_INVALID", `${GATEWAY_ADMIN_TOKEN} is not set in .env`, { place: ".env" });
  }
  const version = createHmac("sha256", versionKey)
    .update(key)
    .update("\0")
    .update(value)
    .digest("hex")
    .slice(0, 12);
  const suffix = `_${version}`;
  return `${`${stack}_${key}`.slice(0, NAME_MAX - suffix.length)}${suffix}`;
}

/** Creates the secrets that do not exist yet (by name); returns every one with its Swarm name. */
export async function ensureSecrets(
  docker: Docker,
  stack: string,
  secrets: readonly SwarmSecret[],
  env: Readonly<Record<string, string>>,
): Promise<ResolvedSecret[]> {
  let existing: Set<string>;
  try {
    const list = (await docker.listSecrets({ filters: namespaceFilter(stack) })) as Array<{
      Spec?: { Name?: string };
    }>;
    existing = new Set(list.map((s) => s.Spec?.Name ?? ""));
  } catch (err) {
    throw dockerError("listing the swarm's secrets", err);
  }
  const out: ResolvedSecret[] = [];
  for (const secret of secrets) {
    const value = secretValue(secret, env);
    const name = secretName(stack, secret.name, value, env);
    const created = !existing.has(name);
    if (created) {
      try {
        await docker.createSecret({
          Name: name,
          Data: Buffer.from(value, "utf8").toString("base64"),
          Labels: { [STACK_NAMESPACE_LABEL]: stack, [SECRET_KEY_LABEL]: secret.name },
        });
      } catch (err) {
        throw dockerError(`creating the secret for ${secret.name}`, err);
      }
    }
    out.push({ key: secret.name, name, created });
  }
  return out;
}
