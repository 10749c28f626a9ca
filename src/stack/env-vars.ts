import { generateKeyPairSync } from "node:crypto";
import { resolveVaultRefs } from "../gateway/config/vault.js";
import { TOOL_PATHS, toolUis } from "./components.js";
import { DATABASE_FIELD, POSTGRES_PASSWORD, usesDatabase } from "./database.js";
import type { EnvEntry } from "./env-file.js";
import { pluginScopesOf } from "./model.js";
import type { StackConfig } from "./schema.js";
import { basicauthHash, randomSecret } from "./secrets.js";
import { effectivePluginConfig, REDIS_PASSWORD, stackHasRedis } from "./shared-state.js";
import type { KeyPath } from "./yaml-source.js";

/**
 * The .env variables a stack uses. Generated files reference them (`${NAME}` in compose.yaml,
 * `{$NAME}` in the Caddyfile, `{vault://env/name}` in gateway.yaml) and never copy their values.
 */
export interface EnvVarSpec {
  name: string;
  /** One line for the .env comment and for messages. */
  purpose: string;
  /** Where stack.yaml asks for it (for `file:line:col` in messages); absent for stack-wide variables. */
  path?: KeyPath;
  /** Whether the current stack.yaml needs it (`stack validate` fails when it is missing). */
  required: boolean;
  /** gateway.yaml references it (`{vault://env/…}`), so the gateway container gets it. */
  gatewayConfig: boolean;
  /** How `stack init` fills it; absent when only the user can provide the value. */
  generate?: Generator;
}

type Generator =
  | { kind: "secret"; bytes: number }
  | { kind: "fixed"; value: string }
  | { kind: "bcrypt-of"; passwordVar: string }
  | { kind: "public-key"; algorithm: string; privateVar: string };

export const GATEWAY_ADMIN_TOKEN = "GATEWAY_ADMIN_TOKEN";
export const TOOLS_BASICAUTH_USER = "TOOLS_BASICAUTH_USER";
export const TOOLS_BASICAUTH_PASSWORD = "TOOLS_BASICAUTH_PASSWORD";
export const TOOLS_BASICAUTH_HASH = "TOOLS_BASICAUTH_HASH";
export const GRAFANA_ADMIN_PASSWORD = "GRAFANA_ADMIN_PASSWORD";
export const JENKINS_ADMIN_PASSWORD = "JENKINS_ADMIN_PASSWORD";

/** Every variable, stack-wide ones first, each name once. */
export function envVarsFor(stack: StackConfig): EnvVarSpec[] {
  const { grafana, jenkins } = stack.addons;
  // Caddy's basic auth guards every tool UI it serves, /prometheus included.
  const tools = toolUis(stack).length > 0;
  const specs: EnvVarSpec[] = [
    {
      name: GATEWAY_ADMIN_TOKEN,
      purpose: "Bearer token for the gateway Admin API (Authorization: Bearer …).",
      required: true,
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 32 },
    },
    {
      name: TOOLS_BASICAUTH_USER,
      purpose: `User name for the tool UIs behind Caddy's basic auth (${TOOL_PATHS}).`,
      required: tools,
      gatewayConfig: false,
      generate: { kind: "fixed", value: "admin" },
    },
    {
      name: TOOLS_BASICAUTH_PASSWORD,
      purpose: "Its password (for you; Caddy only sees the hash below).",
      required: tools,
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 18 },
    },
    {
      name: TOOLS_BASICAUTH_HASH,
      purpose: "base64 of the bcrypt hash of TOOLS_BASICAUTH_PASSWORD (the Caddyfile reads it).",
      required: tools,
      gatewayConfig: false,
      generate: { kind: "bcrypt-of", passwordVar: TOOLS_BASICAUTH_PASSWORD },
    },
    {
      name: GRAFANA_ADMIN_PASSWORD,
      purpose: "Grafana's admin password.",
      required: grafana.enabled,
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 18 },
    },
    {
      name: JENKINS_ADMIN_PASSWORD,
      purpose: "Jenkins' admin password.",
      required: jenkins.enabled,
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 18 },
    },
    {
      name: REDIS_PASSWORD,
      purpose:
        "Password of the stack's Redis, where gateway replicas share rate-limiting counters and cached responses.",
      required: stackHasRedis(stack),
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 32 },
    },
    {
      name: POSTGRES_PASSWORD,
      purpose:
        "Password of the stack's PostgreSQL, where the gateways keep their configuration (gateway.database postgres).",
      path: [...DATABASE_FIELD],
      required: usesDatabase(stack),
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 32 },
    },
    ...credentialVars(stack),
    ...vaultReferences(stack),
  ];
  // A name used twice (say a credential variable also referenced from a plugin) is one
  // variable: the first spec describes it, and it is needed wherever any use needs it.
  const byName = new Map<string, EnvVarSpec>();
  for (const spec of specs) {
    const first = byName.get(spec.name);
    if (!first) byName.set(spec.name, spec);
    else {
      first.required ||= spec.required;
      first.gatewayConfig ||= spec.gatewayConfig;
    }
  }
  return [...byName.values()];
}

/** Names of the variables gateway.yaml references: the gateway container gets exactly these from .env. */
export function gatewayEnvNames(stack: StackConfig): string[] {
  return envVarsFor(stack)
    .filter((spec) => spec.gatewayConfig)
    .map((spec) => spec.name)
    .sort();
}

function credentialVars(stack: StackConfig): EnvVarSpec[] {
  return stack.consumers.flatMap((consumer, c) => {
    const base: KeyPath = ["consumers", c, "credentials"];
    const who = `consumer ${consumer.username}`;
    return [
      ...consumer.credentials["key-auth"].map((k, i) => ({
        name: k.key_env,
        purpose: `API key of ${who} (key-auth).`,
        path: [...base, "key-auth", i, "key_env"],
        required: true,
        gatewayConfig: true,
        generate: { kind: "secret", bytes: 32 } as const,
      })),
      ...consumer.credentials["basic-auth"].map((b, i) => ({
        name: b.password_env,
        purpose: `Password of ${who}, basic-auth user ${b.username}.`,
        path: [...base, "basic-auth", i, "password_env"],
        required: true,
        gatewayConfig: true,
        generate: { kind: "secret", bytes: 18 } as const,
      })),
      ...consumer.credentials["hmac-auth"].map((h, i) => ({
        name: h.secret_env,
        purpose: `HMAC secret of ${who}, hmac-auth user ${h.username}.`,
        path: [...base, "hmac-auth", i, "secret_env"],
        required: true,
        gatewayConfig: true,
        generate: { kind: "secret", bytes: 32 } as const,
      })),
      ...consumer.credentials.oauth2.flatMap((o, i): EnvVarSpec[] => {
        const path: KeyPath = [...base, "oauth2", i];
        const out: EnvVarSpec[] = [
          {
            name: o.client_secret_env,
            purpose: `OAuth2 client secret of ${who}, application ${o.name}.`,
            path: [...path, "client_secret_env"],
            required: true,
            gatewayConfig: true,
            generate: { kind: "secret", bytes: 32 },
          },
        ];
        if (o.client_id_env !== undefined) {
          out.unshift({
            name: o.client_id_env,
            purpose: `OAuth2 client_id of ${who}, application ${o.name}.`,
            path: [...path, "client_id_env"],
            required: true,
            gatewayConfig: true,
            generate: { kind: "secret", bytes: 16 },
          });
        }
        return out;
      }),
      ...consumer.credentials.jwt.flatMap((j, i): EnvVarSpec[] => {
        const path: KeyPath = [...base, "jwt", i];
        const out: EnvVarSpec[] = [];
        if (j.secret_env) {
          const bytes = j.algorithm === "HS256" ? 32 : 64;
          out.push({
            name: j.secret_env,
            purpose: `JWT ${j.algorithm} secret of ${who}, key ${j.key}.`,
            path: [...path, "secret_env"],
            required: true,
            gatewayConfig: true,
            generate: { kind: "secret", bytes },
          });
        }
        if (j.rsa_public_key_env) {
          out.push({
            name: j.rsa_public_key_env,
            purpose: `JWT ${j.algorithm} public key (PEM) of ${who}, key ${j.key}.`,
            path: [...path, "rsa_public_key_env"],
            required: true,
            gatewayConfig: true,
            generate: {
              kind: "public-key",
              algorithm: j.algorithm,
              privateVar: privateKeyVar(j.rsa_public_key_env),
            },
          });
        }
        return out;
      }),
    ];
  });
}

/** Where `stack init` puts the private half of a generated JWT key pair (it signs your test tokens). */
export function privateKeyVar(publicVar: string): string {
  return publicVar.includes("PUBLIC") ? publicVar.replace("PUBLIC", "PRIVATE") : `${publicVar}_PRIVATE`;
}

/**
 * The variables the gateway's env vault reads to resolve `value` (none when it is not a
 * reference): `{vault://env/my-secret}` and `{vault://env/my-secret/key}` (a JSON object
 * in the variable) both read MY_SECRET. Asking the gateway's own resolver keeps stack.yaml
 * checks, compose.yaml and the gateway in agreement on the reference syntax.
 */
export function vaultEnvNamesIn(value: string): string[] {
  const read = new Set<string>();
  const recorder = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get: (_target, name) => {
        if (typeof name === "string") read.add(name);
        return undefined;
      },
    },
  );
  resolveVaultRefs(value, recorder);
  return [...read];
}

/**
 * Variables referenced from plugin configs as gateway.yaml carries them (the stack's Redis
 * password included). The gateway resolves every reference in gateway.yaml — disabled
 * plugins are written there too — so each one is required.
 */
function vaultReferences(stack: StackConfig): EnvVarSpec[] {
  const out: EnvVarSpec[] = [];
  for (const { path, plugins } of pluginScopesOf(stack)) {
    plugins.forEach((plugin, i) => {
      walkStrings(effectivePluginConfig(stack, plugin), [...path, i, "config"], (value, at) => {
        // oauth2's provision_key is a secret the stack can make up (the gateway would generate
        // a new one at every load of a file without it)
        const generated = plugin.name === "oauth2" && at.at(-1) === "provision_key";
        for (const name of vaultEnvNamesIn(value)) {
          out.push({
            name,
            purpose: `Referenced by plugin ${plugin.name} as ${value.trim()}.`,
            path: at,
            required: true,
            gatewayConfig: true,
            ...(generated ? { generate: { kind: "secret", bytes: 24 } as const } : {}),
          });
        }
      });
    });
  }
  return out;
}

function walkStrings(value: unknown, path: KeyPath, visit: (value: string, path: KeyPath) => void): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walkStrings(item, [...path, i], visit);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit);
  }
}

/**
 * Values for every generatable variable, keeping any in `existing` (secrets are never rotated
 * behind the user's back). Returns entries in spec order, each with its purpose as a comment.
 */
export function generateEnvEntries(
  specs: readonly EnvVarSpec[],
  existing: Record<string, string> = {},
): EnvEntry[] {
  const values = new Map<string, string>(Object.entries(existing));
  const entries: EnvEntry[] = [];
  const push = (name: string, value: string, comment: string) => {
    if (!values.has(name)) values.set(name, value);
    entries.push({ key: name, value: values.get(name)!, comment: [comment] });
  };
  for (const spec of specs) {
    const gen = spec.generate;
    if (!gen) continue;
    if (gen.kind === "secret") push(spec.name, randomSecret(gen.bytes), spec.purpose);
    else if (gen.kind === "fixed") push(spec.name, gen.value, spec.purpose);
    else if (gen.kind === "bcrypt-of") {
      const password = values.get(gen.passwordVar);
      if (password !== undefined) push(spec.name, basicauthHash(password), spec.purpose);
    } else {
      if (values.has(spec.name)) {
        push(spec.name, values.get(spec.name)!, spec.purpose);
        continue;
      }
      const pair = jwtKeyPair(gen.algorithm);
      push(spec.name, pair.publicKey, spec.purpose);
      push(
        gen.privateVar,
        pair.privateKey,
        `Private key to sign test tokens for ${spec.name} (keep it secret).`,
      );
    }
  }
  return entries;
}

function jwtKeyPair(algorithm: string): { publicKey: string; privateKey: string } {
  const publicKeyEncoding = { type: "spki", format: "pem" } as const;
  const privateKeyEncoding = { type: "pkcs8", format: "pem" } as const;
  if (algorithm.startsWith("ES")) {
    const namedCurve = algorithm === "ES384" ? "P-384" : "P-256";
    return generateKeyPairSync("ec", { namedCurve, publicKeyEncoding, privateKeyEncoding });
  }
  return generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding });
}
