/**
 * acl through the running gateway (Kong's spec/03-plugins/18-acl/02-access_spec.lua
 * re-expressed): allow/deny lists after key-auth, X-Consumer-Groups, anonymous consumers,
 * and the answers without an authenticated consumer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const route = (name: string, acl: Record<string, unknown>, keyAuth: Record<string, unknown> | null = {}) => ({
  name,
  paths: [`/${name}`],
  plugins: [...(keyAuth ? [{ name: "key-auth", config: keyAuth }] : []), { name: "acl", config: acl }],
});

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(
      upstream.url,
      [
        route("allow-admin", { allow: ["admin"] }),
        route("deny-admin", { deny: ["admin"] }),
        route("allow-hidden", { allow: ["admin", "ops"], hide_groups_header: true }),
        route("no-auth", { allow: ["admin"] }, null),
        route("anon", { allow: ["guests"] }, { anonymous: "guest" }),
      ],
      {
        consumers: [
          {
            username: "admin",
            keyauth_credentials: [{ key: "admin-key" }],
            acls: [{ group: "admin" }, { group: "ops" }],
          },
          { username: "user", keyauth_credentials: [{ key: "user-key" }], acls: [{ group: "users" }] },
          { username: "loner", keyauth_credentials: [{ key: "loner-key" }] },
          { username: "guest", acls: [{ group: "guests" }] },
        ],
      },
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("acl", () => {
  it("lets allowed groups through and sends X-Consumer-Groups upstream", async () => {
    const r = await send(gw.proxyUrl, "/allow-admin", { headers: { apikey: "admin-key" } });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-groups"]).toBe("admin, ops");
  });

  it("answers 403 'You cannot consume this service' to consumers outside the allow list", async () => {
    for (const key of ["user-key", "loner-key"]) {
      const r = await send(gw.proxyUrl, "/allow-admin", { headers: { apikey: key } });
      expect(r.status).toBe(403);
      expect(r.json().message).toBe("You cannot consume this service");
    }
  });

  it("blocks denied groups and lets others (even without groups) through", async () => {
    expect((await send(gw.proxyUrl, "/deny-admin", { headers: { apikey: "admin-key" } })).status).toBe(403);
    const user = await send(gw.proxyUrl, "/deny-admin", { headers: { apikey: "user-key" } });
    expect(user.status).toBe(200);
    expect(user.upstream().headers["x-consumer-groups"]).toBe("users");
    expect((await send(gw.proxyUrl, "/deny-admin", { headers: { apikey: "loner-key" } })).status).toBe(200);
  });

  it("hides the groups header when asked", async () => {
    const r = await send(gw.proxyUrl, "/allow-hidden", { headers: { apikey: "admin-key" } });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-groups"]).toBeUndefined();
  });

  it("answers 401 Unauthorized when no consumer was identified", async () => {
    const r = await send(gw.proxyUrl, "/no-auth");
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Unauthorized");
  });

  it("checks the anonymous consumer's groups", async () => {
    const anon = await send(gw.proxyUrl, "/anon");
    expect(anon.status).toBe(200);
    expect(anon.upstream().headers["x-consumer-groups"]).toBe("guests");
    const user = await send(gw.proxyUrl, "/anon", { headers: { apikey: "user-key" } });
    expect(user.status).toBe(403);
  });

  it("rejects configs with both or neither of allow and deny", async () => {
    const both = kongDoc(upstream.url, [route("x", { allow: ["a"], deny: ["b"] })]);
    await expect(gw.apply(both)).rejects.toThrow(/only one of these fields must be non-empty/);
    const neither = kongDoc(upstream.url, [route("y", {})]);
    await expect(gw.apply(neither)).rejects.toThrow(/at least one of these fields must be non-empty/);
  });

  it("reports them at the plugin entry's @entity, as Kong's entity_checks (POST /config)", async () => {
    const answer = async (config: Record<string, unknown>) => {
      const res = await fetch(`${gw.adminUrl}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ _format_version: "3.0", plugins: [{ name: "acl", config }] }),
      });
      expect(res.status).toBe(400);
      return ((await res.json()) as { fields: { plugins: unknown[] } }).fields.plugins[0];
    };
    expect(await answer({})).toEqual({
      "@entity": ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"],
    });
    expect(await answer({ allow: ["a"], deny: ["b"] })).toEqual({
      "@entity": ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"],
    });
    expect(await answer({ allow: "a" })).toEqual({ config: { allow: "expected an array" } });
  });
});
