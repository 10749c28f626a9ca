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
});
