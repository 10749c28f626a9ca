/**
 * basic-auth through the running gateway against a real upstream (Kong's
 * spec/03-plugins/10-basic-auth/03-access_spec.lua re-expressed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(
      upstream.url,
      [
        { name: "plain", paths: ["/plain"], plugins: [{ name: "basic-auth" }] },
        {
          name: "hidden",
          paths: ["/hidden"],
          plugins: [{ name: "basic-auth", config: { hide_credentials: true, realm: "private" } }],
        },
        { name: "anon", paths: ["/anon"], plugins: [{ name: "basic-auth", config: { anonymous: "guest" } }] },
      ],
      {
        consumers: [
          {
            username: "bob",
            custom_id: "bob-1",
            basicauth_credentials: [{ username: "bob", password: "kong:with:colons" }],
          },
          { username: "eve", basicauth_credentials: [{ username: "eve", password: "p" }] },
          { username: "guest" },
        ],
      },
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("basic-auth", () => {
  it('answers 401 Unauthorized with WWW-Authenticate: Basic realm="service" without credentials', async () => {
    const r = await send(gw.proxyUrl, "/plain");
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Unauthorized");
    expect(r.headers["www-authenticate"]).toBe('Basic realm="service"');
  });

  it("answers 401 for a wrong password, an unknown user and a malformed header", async () => {
    for (const authorization of [
      basic("bob", "nope"),
      basic("mallory", "x"),
      "Basic !!!",
      "Basic Ym9i",
      "Bearer x",
    ]) {
      const r = await send(gw.proxyUrl, "/plain", { headers: { authorization } });
      expect(r.status, authorization).toBe(401);
      expect(r.json().message).toBe("Unauthorized");
      expect(r.headers["www-authenticate"]).toBe('Basic realm="service"');
    }
  });

  it("authenticates and sends the consumer headers upstream (colons allowed in passwords)", async () => {
    const r = await send(gw.proxyUrl, "/plain", {
      headers: { authorization: basic("bob", "kong:with:colons") },
    });
    expect(r.status).toBe(200);
    const seen = r.upstream().headers;
    expect(seen["x-consumer-username"]).toBe("bob");
    expect(seen["x-consumer-custom-id"]).toBe("bob-1");
    expect(seen["x-credential-identifier"]).toBe("bob");
    expect(seen.authorization).toBe(basic("bob", "kong:with:colons"));
  });

  it("refuses an empty password", async () => {
    const r = await send(gw.proxyUrl, "/plain", { headers: { authorization: basic("eve", "") } });
    expect(r.status).toBe(401);
    expect(
      (await send(gw.proxyUrl, "/plain", { headers: { authorization: basic("eve", "p") } })).status,
    ).toBe(200);
  });

  it("accepts credentials in Proxy-Authorization", async () => {
    const r = await send(gw.proxyUrl, "/plain", {
      headers: { "proxy-authorization": basic("bob", "kong:with:colons") },
    });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-username"]).toBe("bob");
  });

  it("hides the credentials and uses the configured realm", async () => {
    const ok = await send(gw.proxyUrl, "/hidden", {
      headers: { authorization: basic("bob", "kong:with:colons") },
    });
    expect(ok.status).toBe(200);
    expect(ok.upstream().headers.authorization).toBeUndefined();
    const denied = await send(gw.proxyUrl, "/hidden");
    expect(denied.headers["www-authenticate"]).toBe('Basic realm="private"');
  });

  it("falls back to the anonymous consumer", async () => {
    const r = await send(gw.proxyUrl, "/anon", { headers: { authorization: basic("bob", "wrong") } });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-username"]).toBe("guest");
    expect(r.upstream().headers["x-anonymous-consumer"]).toBe("true");
  });
});
