/**
 * `stack gateway sync` / `dump` carry oauth2 applications (decK dumps `oauth2_credentials` under
 * consumers) and never the tokens and codes the plugin issues: a real gateway in database mode on a
 * real PostgreSQL, the token asked for through the proxy.
 */
import { fetch } from "undici";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadPluginRegistry, type PluginRegistry } from "../../src/gateway/plugins/registry.js";
import { dumpYaml } from "../../src/gateway-client/dump.js";
import { dumpGateway, syncGateway } from "../../src/gateway-client/sync.js";
import { renderGatewayConfig } from "../../src/render/gateway.js";
import { stackSchema } from "../../src/stack/schema.js";
import { postgresPerFile } from "../gateway/database/_support.js";
import { cleanupsAfterEach } from "../support/cleanups.js";
import { startEchoUpstream } from "../support/gateway.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);
let registry: PluginRegistry;
beforeAll(async () => {
  registry = await loadPluginRegistry();
});

const TAG = "gatestack-managed";

const fileFor = (upstream: string) => `_format_version: "3.0"
services:
  - name: orders
    url: ${upstream}
    routes:
      - name: orders
        paths: [/orders]
    plugins:
      - name: oauth2
        config:
          enable_client_credentials: true
          accept_http_if_already_terminated: true
          provision_key: fixed-provision-key
consumers:
  - username: partner
    oauth2_credentials:
      - name: partner-app
        client_id: partner-client
        client_secret: partner-secret
        redirect_uris: [https://partner.example.com/cb]
`;

describe("stack gateway sync / dump: oauth2", () => {
  it("syncs applications, issues tokens from them, dumps the applications but no token", async () => {
    const upstream = await startEchoUpstream();
    cleanups.push(() => upstream.close());
    const gw = await db.gateway(await db.freshDatabase(), { trustedIps: ["127.0.0.1"] });
    const admin = gw.adminUrl!;
    const file = fileFor(upstream.url);
    const options = {
      file: "kong.yml",
      adminUrl: admin,
      selectTag: TAG,
      dryRun: false,
      plugins: registry.get,
    };
    const first = await syncGateway({ ...options, text: file });
    expect(first.changes.filter((c) => c.kind === "oauth2_credentials").map((c) => c.action)).toEqual([
      "create",
    ]);

    const listed = await fetch(`${admin}/consumers/partner/oauth2`);
    const apps = ((await listed.json()) as { data: Array<Record<string, unknown>> }).data;
    expect(apps.map((a) => [a.name, a.client_id])).toEqual([["partner-app", "partner-client"]]);

    const token = await fetch(`${gw.proxyUrl}/orders/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: "partner-client",
        client_secret: "partner-secret",
      }).toString(),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const proxied = await fetch(`${gw.proxyUrl}/orders/x`, {
      headers: { authorization: `Bearer ${access_token}`, "x-forwarded-proto": "https" },
    });
    expect(proxied.status).toBe(200);

    const dump = await dumpGateway({ adminUrl: admin, selectTag: TAG });
    const text = dumpYaml(dump.document);
    const doc = parseYaml(text) as Record<string, Array<Record<string, unknown>>>;
    expect(doc.oauth2_credentials?.map((c) => c.client_id)).toEqual(["partner-client"]);
    expect(doc).not.toHaveProperty("oauth2_tokens");
    expect(doc).not.toHaveProperty("oauth2_authorization_codes");
    expect(text).not.toContain(access_token);

    const again = await syncGateway({ ...options, text });
    expect(again.writes).toBe(0);
    // the file again: nothing to do, and the issued token stays valid
    expect((await syncGateway({ ...options, text: file })).writes).toBe(0);
    const still = await fetch(`${gw.proxyUrl}/orders/x`, {
      headers: { authorization: `Bearer ${access_token}`, "x-forwarded-proto": "https" },
    });
    expect(still.status).toBe(200);
  }, 90_000);

  it("a stack's rendered gateway.yaml: applications from .env (hash_secret too) issue tokens", async () => {
    const upstream = await startEchoUpstream();
    cleanups.push(() => upstream.close());
    const stack = stackSchema.parse({
      name: "shop",
      template: "monolith",
      gateway: {
        database: "postgres",
        plugins: [
          {
            name: "oauth2",
            config: {
              enable_client_credentials: true,
              accept_http_if_already_terminated: true,
              provision_key: "{vault://env/OAUTH2_PROVISION_KEY}",
            },
          },
        ],
      },
      services: [{ name: "app", routes: [{ name: "api", paths: ["/api"] }] }],
      consumers: [
        {
          username: "partner",
          credentials: {
            oauth2: [
              { name: "web", client_id_env: "WEB_ID", client_secret_env: "WEB_SECRET" },
              { name: "cli", client_id: "cli", client_secret_env: "CLI_SECRET", hash_secret: true },
            ],
          },
        },
      ],
    });
    // the app's upstream pointed at the echo server (the compose host name does not resolve here)
    const port = new URL(upstream.url).port;
    const text = renderGatewayConfig(stack, { path: "gateway.yaml", appHost: () => "127.0.0.1" })
      .content.replaceAll("127.0.0.1:8000", `127.0.0.1:${port}`)
      .replaceAll("port: 8000", `port: ${port}`);
    const env = {
      WEB_ID: "web-client-id",
      WEB_SECRET: "web-secret",
      CLI_SECRET: "cli-secret",
      OAUTH2_PROVISION_KEY: "pk",
    };
    const gw = await db.gateway(await db.freshDatabase(), { trustedIps: ["127.0.0.1"], env });
    const options = {
      file: "gateway.yaml",
      adminUrl: gw.adminUrl!,
      selectTag: TAG,
      dryRun: false,
      plugins: registry.get,
    };
    await syncGateway({ ...options, text });
    const apps = (
      (await (await fetch(`${gw.adminUrl}/consumers/partner/oauth2`)).json()) as {
        data: Array<Record<string, unknown>>;
      }
    ).data;
    expect(apps.map((a) => [a.name, a.client_id, a.hash_secret]).sort()).toEqual([
      ["cli", "cli", true],
      ["web", "web-client-id", false],
    ]);
    // each secret from .env is accepted (with hash_secret the reference stays one, not hashed)
    for (const [id, secret] of [
      ["web-client-id", "web-secret"],
      ["cli", "cli-secret"],
    ] as const) {
      const r = await fetch(`${gw.proxyUrl}/api/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: id,
          client_secret: secret,
        }).toString(),
      });
      expect(r.status, id).toBe(200);
      const wrong = await fetch(`${gw.proxyUrl}/api/oauth2/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: id,
          client_secret: "nope",
        }).toString(),
      });
      expect(wrong.status, id).toBe(400);
    }
    const again = await syncGateway({ ...options, text });
    expect(again.changes).toEqual([]);
  }, 90_000);
});
