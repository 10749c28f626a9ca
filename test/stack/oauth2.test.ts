/** stack.yaml checks of oauth2: database mode for the plugin, one client_id per application, unique keys. */
import { describe, expect, it } from "vitest";
import { formatIssue, StackInvalidError } from "../../src/stack/issues.js";
import { analyzeStackText, parseStackText } from "../../src/stack/load.js";
import { MINIMAL_STACK_YAML } from "./fixtures.js";

function errorLines(text: string): string[] {
  try {
    parseStackText(text);
  } catch (err) {
    if (err instanceof StackInvalidError) return err.errors.map(formatIssue);
    throw err;
  }
  throw new Error("expected stack.yaml to be invalid");
}

const withPlugin = (database: string) =>
  MINIMAL_STACK_YAML.replace(
    "template: monolith\n",
    `template: monolith\ngateway:\n  database: ${database}\n  plugins:\n    - name: oauth2\n      config: {enable_client_credentials: true, provision_key: "{vault://env/OAUTH2_PROVISION_KEY}"}\n`,
  );

const APP = `consumers:
  - username: partner
    credentials:
      oauth2:
        - name: app
          client_id_env: PARTNER_CLIENT_ID
          client_secret_env: PARTNER_CLIENT_SECRET
          redirect_uris: [https://partner.example.com/cb]
`;

describe("stack.yaml oauth2", () => {
  it("the oauth2 plugin DB-less is an error naming gateway.database, as Kong refuses it", () => {
    expect(errorLines(`${withPlugin("off")}${APP}`)).toEqual([
      `stack.yaml:6:13: gateway.plugins[0].name: oauth2 needs database mode, as in Kong (it stores the tokens it issues; DB-less, Kong refuses it: "cannot create 'oauth2_tokens' entities when not using a database"): set gateway.database postgres`,
    ]);
    const ok = analyzeStackText(`${withPlugin("postgres")}${APP}`);
    expect(ok.errors).toEqual([]);
    expect(ok.warnings).toEqual([]);
    expect(ok.config?.consumers[0]?.credentials.oauth2[0]).toEqual({
      name: "app",
      client_id_env: "PARTNER_CLIENT_ID",
      client_secret_env: "PARTNER_CLIENT_SECRET",
      redirect_uris: ["https://partner.example.com/cb"],
      hash_secret: false,
    });
  });

  it("applications alone are fine DB-less; the plugin without any application warns", () => {
    expect(analyzeStackText(`${MINIMAL_STACK_YAML}${APP}`).errors).toEqual([]);
    const lonely = analyzeStackText(withPlugin("postgres"));
    expect(lonely.errors).toEqual([]);
    expect(lonely.warnings.map((w) => w.message)).toEqual([
      "oauth2 is enabled but no consumer has a oauth2 credential: every request here gets 401",
    ]);
  });

  it("database mode without provision_key warns: the gateway would make up a new one at every load", () => {
    const text = withPlugin("postgres").replace(', provision_key: "{vault://env/OAUTH2_PROVISION_KEY}"', "");
    const analysis = analyzeStackText(`${text}${APP}`);
    expect(analysis.errors).toEqual([]);
    expect(analysis.warnings.map(formatIssue)).toEqual([
      'stack.yaml:7:15: gateway.plugins[0].config: oauth2 without provision_key: the gateway makes up a new one whenever it loads gateway.yaml (every `stack gateway sync` changes it); set provision_key: "{vault://env/OAUTH2_PROVISION_KEY}" (a variable of its own for each oauth2 plugin; stack init generates it)',
    ]);
  });

  it("each oauth2 plugin's provision_key its own: a route's suggestion names the route, a shared key warns", () => {
    const routePlugin = (key: string) =>
      `        plugins:\n          - name: oauth2\n            config: {enable_client_credentials: true${key}}\n`;
    const twoRoutes = (first: string, second: string) => `name: demo
template: monolith
gateway:
  database: postgres
services:
  - name: orders-api
    routes:
      - name: v1
        paths: [/v1]
${routePlugin(first)}      - name: v2
        paths: [/v2]
${routePlugin(second)}${APP}`;
    const missing = analyzeStackText(twoRoutes(', provision_key: "{vault://env/ONE}"', ""));
    expect(missing.errors).toEqual([]);
    expect(missing.warnings.map((w) => w.message)).toEqual([
      'oauth2 without provision_key: the gateway makes up a new one whenever it loads gateway.yaml (every `stack gateway sync` changes it); set provision_key: "{vault://env/OAUTH2_PROVISION_KEY_ORDERS_API_V2}" (a variable of its own for each oauth2 plugin; stack init generates it)',
    ]);
    const shared = analyzeStackText(
      twoRoutes(', provision_key: "{vault://env/ONE}"', ', provision_key: " {vault://env/ONE}"'),
    );
    expect(shared.errors).toEqual([]);
    expect(shared.warnings.map(formatIssue)).toEqual([
      expect.stringMatching(
        /^stack\.yaml:\d+:\d+: services\[0\]\.routes\[1\]\.plugins\[0\]\.config\.provision_key: the same provision_key as the oauth2 plugin at services\[0\]\.routes\[0\]\.plugins\[0\]\.config\.provision_key: each oauth2 plugin should have its own .*"\{vault:\/\/env\/OAUTH2_PROVISION_KEY_ORDERS_API_V2\}"$/,
      ),
    ]);
    const distinct = analyzeStackText(
      twoRoutes(', provision_key: "{vault://env/ONE}"', ', provision_key: "{vault://env/TWO}"'),
    );
    expect(distinct.warnings).toEqual([]);
  });

  it("client_id xor client_id_env; keys unique; redirect URIs absolute without fragment", () => {
    const text = `${withPlugin("postgres")}consumers:
  - username: a
    credentials:
      oauth2:
        - {name: one, client_secret_env: A_SECRET}
        - {name: two, client_id: x, client_id_env: X_ID, client_secret_env: B_SECRET}
        - {name: three, client_id: x, client_secret_env: A_SECRET, redirect_uris: ["/cb", "https://h/cb#f"]}
`;
    expect(errorLines(text)).toEqual([
      `stack.yaml:19:84: consumers[0].credentials.oauth2[2].redirect_uris[0]: must be an absolute URL without a fragment, e.g. https://app.example.com/callback (got "/cb")`,
      `stack.yaml:19:91: consumers[0].credentials.oauth2[2].redirect_uris[1]: must be an absolute URL without a fragment, e.g. https://app.example.com/callback (got "https://h/cb#f")`,
    ]);
    const valid = text.replace(`, redirect_uris: ["/cb", "https://h/cb#f"]`, "");
    expect(errorLines(valid)).toEqual([
      "stack.yaml:17:11: consumers[0].credentials.oauth2[0]: needs client_id, or client_id_env naming the .env variable holding it (stack init generates it)",
      "stack.yaml:18:52: consumers[0].credentials.oauth2[1].client_id_env: give client_id or client_id_env, not both",
      'stack.yaml:19:36: consumers[0].credentials.oauth2[2].client_id: oauth2 client_id "x" is used by another credential too; each must be unique',
      "stack.yaml:19:58: consumers[0].credentials.oauth2[2].client_secret_env: client_secret_env A_SECRET is used by another credential too; each must be unique",
    ]);
  });
});
