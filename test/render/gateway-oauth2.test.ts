/**
 * stack.yaml `consumers[].credentials.oauth2` rendered into gateway.yaml `oauth2_credentials`:
 * the secret (and a client_id from .env) as vault references the gateway resolves, in database
 * mode where the oauth2 plugin is accepted.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseDeclarativeConfig } from "../../src/gateway/config/load.js";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { GATEWAY_CONFIG_FILE, type KongDeclarative } from "../../src/render/gateway.js";
import { envVarsFor, gatewayEnvNames, generateEnvEntries } from "../../src/stack/env-vars.js";
import { monolithStack } from "./fixtures.js";
import { artifact, artifactsOf } from "./support.js";

type Stack = ReturnType<typeof monolithStack>;
const gatewayText = (stack: Stack) => artifact(artifactsOf(stack), GATEWAY_CONFIG_FILE).content;

let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

const oauthStack = () =>
  monolithStack({
    gateway: {
      database: "postgres",
      plugins: [
        {
          name: "oauth2",
          config: { enable_client_credentials: true, provision_key: "{vault://env/OAUTH2_PROVISION_KEY}" },
        },
      ],
    },
    consumers: [
      {
        username: "partner",
        credentials: {
          oauth2: [
            {
              name: "partner-app",
              client_id_env: "PARTNER_CLIENT_ID",
              client_secret_env: "PARTNER_CLIENT_SECRET",
              redirect_uris: ["https://partner.example.com/callback"],
            },
            {
              name: "cli",
              client_id: "partner-cli",
              client_secret_env: "PARTNER_CLI_SECRET",
              hash_secret: true,
            },
          ],
        },
      },
    ],
  });

describe("gateway.yaml oauth2_credentials", () => {
  it("writes each application with its secrets as vault references", () => {
    const doc = parse(gatewayText(oauthStack())) as KongDeclarative;
    expect(doc.consumers).toEqual([
      {
        username: "partner",
        oauth2_credentials: [
          {
            name: "partner-app",
            client_id: "{vault://env/PARTNER_CLIENT_ID}",
            client_secret: "{vault://env/PARTNER_CLIENT_SECRET}",
            redirect_uris: ["https://partner.example.com/callback"],
          },
          {
            name: "cli",
            client_id: "partner-cli",
            client_secret: "{vault://env/PARTNER_CLI_SECRET}",
            hash_secret: true,
          },
        ],
      },
    ]);
    expect(doc.plugins).toEqual([
      {
        name: "oauth2",
        config: { enable_client_credentials: true, provision_key: "{vault://env/OAUTH2_PROVISION_KEY}" },
      },
    ]);
  });

  it("the gateway in database mode loads it with the values from .env; DB-less it refuses the plugin", () => {
    const stack = oauthStack();
    expect(gatewayEnvNames(stack)).toEqual(
      expect.arrayContaining(["PARTNER_CLIENT_ID", "PARTNER_CLIENT_SECRET", "PARTNER_CLI_SECRET"]),
    );
    const env = Object.fromEntries(gatewayEnvNames(stack).map((n) => [n, `value-of-${n.toLowerCase()}`]));
    const text = gatewayText(stack);
    const loaded = parseDeclarativeConfig(text, { env, plugins: registry.get, database: true });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    expect(loaded.config.oauth2_credentials.map((c) => [c.name, c.client_id, c.client_secret])).toEqual([
      ["partner-app", "value-of-partner_client_id", "value-of-partner_client_secret"],
      ["cli", "partner-cli", "value-of-partner_cli_secret"],
    ]);
    const dbless = parseDeclarativeConfig(text, { env, plugins: registry.get });
    expect(dbless.ok).toBe(false);
    expect(JSON.stringify(dbless.ok ? null : dbless.error)).toContain(
      "cannot create 'oauth2_tokens' entities when not using a database",
    );
  });

  it("stack init generates the client_id and secret variables, random, kept once written", () => {
    const specs = envVarsFor(oauthStack());
    const entries = generateEnvEntries(specs);
    const value = (key: string) => entries.find((e) => e.key === key)?.value;
    expect(value("PARTNER_CLIENT_ID")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(value("PARTNER_CLIENT_SECRET")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value("PARTNER_CLI_SECRET")).not.toBe(value("PARTNER_CLIENT_SECRET"));
    // the provision_key a plugin references is made up too
    expect(value("OAUTH2_PROVISION_KEY")).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const again = generateEnvEntries(specs, { PARTNER_CLIENT_SECRET: "mine" });
    expect(again.find((e) => e.key === "PARTNER_CLIENT_SECRET")?.value).toBe("mine");
    expect(specs.find((s) => s.name === "PARTNER_CLIENT_SECRET")).toMatchObject({
      required: true,
      path: ["consumers", 0, "credentials", "oauth2", 0, "client_secret_env"],
    });
  });
});
