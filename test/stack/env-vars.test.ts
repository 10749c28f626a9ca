import { beforeAll, describe, expect, it } from "vitest";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { CADDYFILE_PATH } from "../../src/render/caddyfile.js";
import { COMPOSE_PATH } from "../../src/render/compose.js";
import { GATEWAY_CONFIG_FILE } from "../../src/render/gateway.js";
import {
  envVarsFor,
  gatewayEnvNames,
  TOOLS_BASICAUTH_HASH,
  TOOLS_BASICAUTH_PASSWORD,
  TOOLS_BASICAUTH_USER,
  vaultEnvNamesIn,
} from "../../src/stack/env-vars.js";
import { parseStackText } from "../../src/stack/load.js";
import { ADDON_NAMES, type StackConfig } from "../../src/stack/schema.js";
import { artifact, artifactsOf, yamlOf } from "../render/support.js";
import { MINIMAL_STACK_YAML } from "./fixtures.js";

const required = (stack: StackConfig) =>
  envVarsFor(stack)
    .filter((v) => v.required)
    .map((v) => v.name);

describe("tool basic auth variables", () => {
  const TOOLS = [TOOLS_BASICAUTH_USER, TOOLS_BASICAUTH_PASSWORD, TOOLS_BASICAUTH_HASH];
  const cases: [string, string][] = [
    ["no addons", ""],
    ...ADDON_NAMES.map((addon): [string, string] => [`only ${addon}`, `addons:\n  ${addon}: true\n`]),
  ];

  it.each(cases)(
    "are required exactly when Caddy serves a tool UI behind basic auth: %s",
    (_label, addons) => {
      const stack = parseStackText(MINIMAL_STACK_YAML + addons);
      const artifacts = artifactsOf(stack);
      const caddyfile = artifact(artifacts, CADDYFILE_PATH).content;
      const guarded = caddyfile.includes("{$TOOLS_BASICAUTH_HASH}");
      expect(guarded).toBe(addons !== "");
      for (const name of TOOLS) expect(required(stack).includes(name), name).toBe(guarded);
      // …and Caddy gets them from .env exactly then.
      const { caddy } = yamlOf<{ services: { caddy: { environment?: Record<string, string> } } }>(
        artifacts,
        COMPOSE_PATH,
      ).services;
      expect(Object.keys(caddy.environment ?? {})).toEqual(
        guarded ? [TOOLS_BASICAUTH_USER, TOOLS_BASICAUTH_HASH] : [],
      );
    },
  );

  it("name every tool path in their purpose", () => {
    const user = envVarsFor(parseStackText(MINIMAL_STACK_YAML)).find((v) => v.name === TOOLS_BASICAUTH_USER)!;
    expect(user.purpose).toBe(
      "User name for the tool UIs behind Caddy's basic auth (/grafana, /kibana, /jenkins, /prometheus, /gateway).",
    );
  });
});

describe("vault references", () => {
  it("reads the variables the gateway's env vault reads: whole-string references, with or without a JSON key", () => {
    expect(vaultEnvNamesIn("{vault://env/redis-auth}")).toEqual(["REDIS_AUTH"]);
    expect(vaultEnvNamesIn("{vault://env/partner-creds/token}")).toEqual(["PARTNER_CREDS"]);
    expect(vaultEnvNamesIn(" {vault://env/PADDED} ")).toEqual(["PADDED"]);
    // Not references: the gateway passes these on unchanged, so they need no variable.
    expect(vaultEnvNamesIn("Bearer {vault://env/embedded}")).toEqual([]);
    expect(vaultEnvNamesIn("{vault://aws/some-secret}")).toEqual([]);
    expect(vaultEnvNamesIn("plain")).toEqual([]);
  });

  const STACK = `${MINIMAL_STACK_YAML}        plugins:
          - name: rate-limiting
            config: {minute: 5, policy: redis, redis: {host: redis, password: "{vault://env/redis-auth}"}}
          - name: http-log
            enabled: false
            config:
              http_endpoint: http://collector:9000
              headers: {Authorization: "{vault://env/partner-creds/token}"}
consumers:
  - username: alice
    credentials:
      key-auth: [{key_env: ALICE_API_KEY}]
      jwt: [{key: alice-rs, algorithm: RS256, rsa_public_key_env: ALICE_PUBLIC_KEY}]
`;
  const JSON_VALUES: Record<string, string> = { PARTNER_CREDS: JSON.stringify({ token: "t0ken" }) };

  let registry: PluginRegistry;
  beforeAll(async () => {
    registry = await loadPluginRegistry();
  });

  it("are required (disabled plugins too: the gateway resolves every reference in gateway.yaml)", () => {
    const stack = parseStackText(STACK);
    const byName = new Map(envVarsFor(stack).map((v) => [v.name, v]));
    expect(byName.get("REDIS_AUTH")).toMatchObject({
      required: true,
      gatewayConfig: true,
      path: ["services", 0, "routes", 0, "plugins", 0, "config", "redis", "password"],
    });
    expect(byName.get("PARTNER_CREDS")).toMatchObject({ required: true, gatewayConfig: true });
    expect(gatewayEnvNames(stack)).toEqual([
      "ALICE_API_KEY",
      "ALICE_PUBLIC_KEY",
      "PARTNER_CREDS",
      "REDIS_AUTH",
    ]);
  });

  it("compose gives the gateway exactly the variables it needs to load gateway.yaml", () => {
    const stack = parseStackText(STACK);
    const artifacts = artifactsOf(stack);
    const gatewayEnv = yamlOf<{ services: { gateway: { environment: Record<string, string> } } }>(
      artifacts,
      COMPOSE_PATH,
    ).services.gateway.environment;
    const passed = Object.keys(gatewayEnv).filter((k) => gatewayEnv[k] === `\${${k}}`);
    expect(passed.sort()).toEqual(["GATEWAY_ADMIN_TOKEN", ...gatewayEnvNames(stack)].sort());

    const text = artifact(artifacts, GATEWAY_CONFIG_FILE).content;
    const load = (env: Record<string, string>) =>
      parseDeclarativeConfig(text, { env, plugins: (n) => registry.get(n) });
    const env = Object.fromEntries(passed.map((name) => [name, JSON_VALUES[name] ?? `value-of-${name}`]));
    const loaded = load(env);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    for (const name of gatewayEnvNames(stack)) {
      const { [name]: _left, ...without } = env;
      expect(load(without).ok, `gateway.yaml loads without ${name}`).toBe(false);
    }
  });
});

describe("the PostgreSQL password (gateway.database postgres)", () => {
  const withDatabase = `${MINIMAL_STACK_YAML}gateway:\n  database: postgres\n`;

  it("is required exactly in database mode, said of gateway.database, and generated by stack init", () => {
    expect(required(parseStackText(MINIMAL_STACK_YAML))).not.toContain("POSTGRES_PASSWORD");
    expect(required(parseStackText(`${MINIMAL_STACK_YAML}gateway:\n  database: "off"\n`))).not.toContain(
      "POSTGRES_PASSWORD",
    );
    const spec = envVarsFor(parseStackText(withDatabase)).find((v) => v.name === "POSTGRES_PASSWORD");
    expect(spec).toMatchObject({
      required: true,
      path: ["gateway", "database"],
      gatewayConfig: false,
      generate: { kind: "secret", bytes: 32 },
    });
  });

  it("reaches compose.yaml only as an interpolation from .env: postgres, the migrations job and the gateways", () => {
    const compose = yamlOf<{ services: Record<string, { environment?: Record<string, string> }> }>(
      artifactsOf(parseStackText(withDatabase)),
      COMPOSE_PATH,
    );
    const holders = Object.entries(compose.services)
      .filter(([, s]) => Object.values(s.environment ?? {}).includes(`\${POSTGRES_PASSWORD}`))
      .map(([name]) => name)
      .sort();
    expect(holders).toEqual(["gateway", "gateway-migrations", "postgres"]);
    // not a gateway.yaml reference: the gateway reads it as KONG_PG_PASSWORD, never under its own name
    expect(gatewayEnvNames(parseStackText(withDatabase))).not.toContain("POSTGRES_PASSWORD");
    expect(compose.services.gateway!.environment).not.toHaveProperty("POSTGRES_PASSWORD");
  });
});
