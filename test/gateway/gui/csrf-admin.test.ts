/**
 * The gateway manager's protections and its Admin API proxy (issue 15 §1): CSRF on writes, the
 * security headers, secrets never answered, DB-less writes refused with the reason, and — on a
 * real PostgreSQL (test/support/postgres.ts) — a write in database mode.
 */
import { describe, expect, it } from "vitest";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { postgresPerFile } from "../database/_support.js";
import { jsonOf, login, managerGateway, SAMPLE, SECRETS, TOKEN } from "./_support.js";

const cleanups = cleanupsAfterEach();
const db = postgresPerFile(cleanups);

describe("gateway manager: CSRF and headers", () => {
  it("needs a session for everything but /, /assets, /session and /login", async () => {
    const gw = await managerGateway(cleanups, SAMPLE);
    for (const path of ["/admin-api/services", "/gui-api/overview", "/gui-api/logs", "/logout"]) {
      const res = await fetch(`${gw.guiUrl}${path}`);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ message: "Unauthorized" });
    }
    // the Admin API's bearer token is not a manager session
    const bearer = await fetch(`${gw.guiUrl}/admin-api/services`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(401);
  });

  it("refuses writes without the CSRF header, with a wrong one, or from a foreign Origin", async () => {
    const gw = await managerGateway(cleanups, SAMPLE);
    const { cookie, csrf } = await login(gw.guiUrl);
    const post = (headers: Record<string, string>) =>
      fetch(`${gw.guiUrl}/admin-api/config`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json", ...headers },
        body: JSON.stringify({ _format_version: "3.0" }),
      });
    const refused: Array<Record<string, string>> = [
      {},
      { "x-csrf-token": `${csrf}x` },
      { "x-csrf-token": csrf, origin: "http://evil.example" },
    ];
    for (const headers of refused) {
      const res = await post(headers);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: "CSRF check failed" });
    }
    // the configuration is untouched
    const services = await jsonOf(fetch(`${gw.guiUrl}/admin-api/services`, { headers: { cookie } }));
    expect(services.data).toHaveLength(1);
    // the same origin passes
    const ok = await post({ "x-csrf-token": csrf, origin: new URL(gw.guiUrl).origin });
    expect(ok.status).toBe(201);
  });

  it("a login from a foreign Origin is refused", async () => {
    const gw = await managerGateway(cleanups);
    const res = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(res.status).toBe(403);
  });

  it("sends the security headers, and no-store on JSON", async () => {
    const gw = await managerGateway(cleanups);
    const { cookie } = await login(gw.guiUrl);
    for (const path of ["/session", "/gui-api/overview", "/admin-api/", "/", "/assets/app.js"]) {
      const res = await fetch(`${gw.guiUrl}${path}`, { headers: { cookie } });
      await res.arrayBuffer();
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("content-security-policy"), path).toBe(
        "default-src 'self'; frame-ancestors 'none'",
      );
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      if ((res.headers.get("content-type") ?? "").includes("json"))
        expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
  });
});

describe("gateway manager: the Admin API behind the session", () => {
  it("reads as the Admin API does and refuses DB-less entity writes with the read-only reason", async () => {
    const gw = await managerGateway(cleanups, SAMPLE);
    const { cookie, csrf } = await login(gw.guiUrl);
    const routes = await fetch(`${gw.guiUrl}/admin-api/routes?size=1`, { headers: { cookie } });
    expect(routes.status).toBe(200);
    expect((await jsonOf(routes)).data[0].name).toBe("r1");
    const missing = await fetch(`${gw.guiUrl}/admin-api/services/nope`, { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(await jsonOf(missing)).toEqual({ message: "Not found" });

    const write = await fetch(`${gw.guiUrl}/admin-api/services`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
      body: JSON.stringify({ name: "new", url: "http://example.com" }),
    });
    expect(write.status).toBe(405);
    const body = await jsonOf(write);
    expect(body).toMatchObject({ code: 12, name: "operation unsupported" });
    expect(body.readOnlyReason).toMatch(/^DB-less mode: the configuration comes from the declarative file/);
  });

  it("never answers a secret: credentials and GET /config redacted, the token nowhere", async () => {
    const gw = await managerGateway(cleanups, SAMPLE);
    const { cookie } = await login(gw.guiUrl);
    const paths = [
      "/session",
      "/admin-api/",
      "/admin-api/config",
      "/admin-api/key-auths",
      "/admin-api/basic-auths",
      "/admin-api/jwts",
      "/admin-api/consumers/alice/key-auth",
      "/gui-api/overview",
      "/gui-api/plugin-catalogue",
      "/gui-api/plugins-applying?route=r1",
    ];
    for (const path of paths) {
      const text = await (await fetch(`${gw.guiUrl}${path}`, { headers: { cookie } })).text();
      for (const secret of SECRETS) expect(text, path).not.toContain(secret);
    }
  });

  it("in database mode: writes through the session, Kong's field errors unchanged, secrets redacted", async () => {
    const settings = await db.freshDatabase();
    const gw = await managerGateway(cleanups, undefined, { database: { postgres: settings } });
    const { cookie, csrf } = await login(gw.guiUrl);
    const session = await jsonOf(fetch(`${gw.guiUrl}/session`, { headers: { cookie } }));
    expect(session).toMatchObject({ mode: "postgres", readOnly: false, readOnlyReason: null });
    const send = (method: string, path: string, body: unknown) =>
      fetch(`${gw.guiUrl}/admin-api${path}`, {
        method,
        headers: { cookie, "x-csrf-token": csrf, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    const created = await send("POST", "/services", { name: "svc", url: "http://example.com" });
    expect(created.status).toBe(201);
    expect((await jsonOf(created)).name).toBe("svc");
    const invalid = await send("POST", "/services", { name: "bad", host: "example.com", port: 99999 });
    expect(invalid.status).toBe(400);
    const err = await jsonOf(invalid);
    expect(err).toMatchObject({ code: 2, name: "schema violation" });
    expect(err.fields.port).toBeTypeOf("string");

    await send("POST", "/consumers", { username: "bob" });
    const key = await send("POST", "/consumers/bob/key-auth", { key: "bob-very-secret-key" });
    expect(key.status).toBe(201);
    expect(JSON.stringify(await key.json())).not.toContain("bob-very-secret-key");
    const listed = await (await fetch(`${gw.guiUrl}/admin-api/key-auths`, { headers: { cookie } })).text();
    expect(listed).toContain("[REDACTED]");
    expect(listed).not.toContain("bob-very-secret-key");
    // and the Admin listener still shows Kong's answer to its token holder
    const direct = await fetch(`${gw.adminUrl}/key-auths`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await direct.text()).toContain("bob-very-secret-key");
  }, 30_000);
});
