/**
 * The portal listener of a real gateway (startGateway, portalListen on 127.0.0.1:0) in front of
 * real apps on 127.0.0.1: one serving an OpenAPI document behind key-auth, one serving none, one
 * answering HTML, one too slow. The built front-end is stood in for by a small folder of the same
 * shape (index.html with the services marker, assets/), so the test runs without `npm run build`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { startTestGateway } from "../../support/gateway.js";
import { type OpenApiApp, startOpenApiApp } from "../../support/openapi-app.js";

const KEY = "portal-test-key-9f2c";

let gateway: Gateway;
let users: OpenApiApp;
let legacy: OpenApiApp;
let html: OpenApiApp;
let slow: OpenApiApp;
let assets: string;

async function get(path: string, init: RequestInit = {}) {
  const res = await fetch(`${gateway.portalUrl}${path}`, init);
  return { res, text: await res.text() };
}

beforeAll(async () => {
  users = await startOpenApiApp();
  legacy = await startOpenApiApp({ openapi: false });
  html = await startOpenApiApp({
    answer: (req, res) => {
      if (req.url !== "/openapi.json") return false;
      res.writeHead(200, { "content-type": "text/html" }).end("<html>docs</html>");
      return true;
    },
  });
  slow = await startOpenApiApp({
    answer: (req, res) => {
      if (req.url !== "/openapi.json") return false;
      setTimeout(() => res.writeHead(200).end("{}"), 2000).unref();
      return true;
    },
  });
  assets = mkdtempSync(join(tmpdir(), "portal-assets-"));
  mkdirSync(join(assets, "assets"));
  writeFileSync(join(assets, "index.html"), "<!doctype html><main><!--gatestack:services--></main>");
  writeFileSync(join(assets, "assets", "portal.js"), "console.log('portal')");
  gateway = await startTestGateway(
    {
      _format_version: "3.0",
      services: [
        {
          name: "users",
          url: users.url,
          routes: [
            { name: "users-api", paths: ["/users"], strip_path: true, plugins: [{ name: "key-auth" }] },
            { name: "users-public", paths: ["/v1/users"], strip_path: true, methods: ["GET"] },
            // a regex path with strip_path: the portal cannot map the app's paths through it
            { name: "users-regex", paths: ["~/u/v[0-9]+"], strip_path: true },
          ],
        },
        {
          name: "legacy",
          url: legacy.url,
          routes: [
            {
              name: "legacy-route",
              paths: ["/legacy"],
              methods: ["GET", "POST"],
              hosts: ["legacy.example.com"],
            },
          ],
        },
        { name: "html", url: html.url, routes: [{ name: "html-route", paths: ["/html"] }] },
        { name: "slow", url: slow.url, routes: [{ name: "slow-route", paths: ["/slow"] }] },
      ],
      consumers: [{ username: "alice", keyauth_credentials: [{ key: KEY }] }],
    },
    {
      portalListen: { host: "127.0.0.1", port: 0 },
      portal: { assetsDir: assets, cacheMs: 60_000, timeoutMs: 500 },
    },
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([users, legacy, html, slow].map((a) => a?.close()));
  rmSync(assets, { recursive: true, force: true });
});

describe("the portal listener", () => {
  it("is off unless asked for", async () => {
    const plain = await startTestGateway({ _format_version: "3.0" });
    try {
      expect(plain.portalUrl).toBeNull();
    } finally {
      await plain.close();
    }
  });

  it("lists every service: a document for the app that serves one, routes only for the others", async () => {
    const { res, text } = await get("/services.json");
    expect(res.status).toBe(200);
    const { services } = JSON.parse(text) as {
      services: Array<{
        name: string;
        spec: string | null;
        reason: string | null;
        routes: Array<Record<string, unknown>>;
      }>;
    };
    expect(services.map((s) => s.name)).toEqual(["html", "legacy", "slow", "users"]);
    const byName = Object.fromEntries(services.map((s) => [s.name, s]));
    expect(byName.users!.spec).toBe("specs/users.json");
    expect(byName.users!.routes).toEqual([
      {
        name: "users-api",
        methods: [],
        paths: ["/users"],
        hosts: [],
        authentication: ["key-auth"],
        note: null,
      },
      {
        name: "users-public",
        methods: ["GET"],
        paths: ["/v1/users"],
        hosts: [],
        authentication: [],
        note: null,
      },
      {
        name: "users-regex",
        methods: [],
        paths: ["~/u/v[0-9]+"],
        hosts: [],
        authentication: [],
        note: expect.stringMatching(/^Its regex path is not in the OpenAPI document: with strip_path /),
      },
    ]);
    expect(byName.legacy).toEqual({
      name: "legacy",
      spec: null,
      reason: "/openapi.json answered 404",
      routes: [
        {
          name: "legacy-route",
          methods: ["GET", "POST"],
          paths: ["/legacy"],
          hosts: ["legacy.example.com"],
          authentication: [],
          note: null,
        },
      ],
    });
    expect(byName.html!.reason).toBe("/openapi.json is not JSON");
    expect(byName.slow!.reason).toMatch(/no answer within 500 ms|timeout/i);
  });

  it("serves a service's document with the gateway's paths and authentication, fetched past key-auth", async () => {
    const { res, text } = await get("/specs/users.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const doc = JSON.parse(text) as {
      servers: unknown;
      paths: Record<string, Record<string, { security?: unknown; operationId?: string }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, unknown> };
    };
    expect(doc.servers).toEqual([{ url: "/", description: "through the API gateway" }]);
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/users/items",
      "/users/items/{item_id}",
      "/v1/users/items",
      "/v1/users/items/{item_id}",
    ]);
    expect(doc.paths["/users/items"]!.get!.security).toEqual([{ "key-auth.apikey": [] }]);
    expect(doc.paths["/users/items"]!.post).toBeDefined();
    expect(doc.paths["/v1/users/items"]!.post).toBeUndefined(); // that route is GET only
    expect(doc.paths["/v1/users/items"]!.get!.security).toBeUndefined();
    expect(doc.components.securitySchemes["key-auth.apikey"]).toMatchObject({
      type: "apiKey",
      in: "header",
      name: "apikey",
    });
    expect(doc.components.schemas.Item).toBeDefined();
    // the regex route with strip_path is named, not silently left out
    const { info, "x-gateway-unmapped-routes": unmapped } = JSON.parse(text) as {
      info: { description?: string };
      "x-gateway-unmapped-routes"?: unknown;
    };
    expect(unmapped).toEqual([
      { route: "users-regex", paths: ["~/u/v[0-9]+"], reason: "regex path with strip_path" },
    ]);
    expect(info.description).toContain("Not listed here: route users-regex (~/u/v[0-9]+)");
    // the app was asked for its document directly: key-auth did not stand in the way
    expect(users.requests).toContain("GET /openapi.json");
  });

  it("the published paths are the ones the proxy routes: 401 without the key, the app's 200 with it", async () => {
    const without = await fetch(`${gateway.proxyUrl}/users/items`);
    expect(without.status).toBe(401);
    const withKey = await fetch(`${gateway.proxyUrl}/users/items`, { headers: { apikey: KEY } });
    expect(withKey.status).toBe(200);
    expect(await withKey.json()).toEqual([
      { id: 1, name: "hammer" },
      { id: 2, name: "saw" },
    ]);
  });

  it("keeps documents briefly: the app is asked once for several page loads", async () => {
    await get("/");
    await get("/services.json");
    await get("/specs/users.json");
    expect(users.requests.filter((r) => r === "GET /openapi.json")).toHaveLength(1);
  });

  it("the page: the services list rendered into the built page, escaped, under a strict CSP", async () => {
    const { res, text } = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    // scripts from the portal's own origin only (no inline script); Swagger UI's inline styles allowed
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
    );
    expect(text).toContain('<a href="?service=users">users</a>');
    expect(text).toMatch(/legacy <span class="badge muted">routes only<\/span>/);
    expect(text).toContain("<code>legacy.example.com</code>");
    expect(text).toMatch(
      /<code>~\/u\/v\[0-9\]\+<\/code><p class="route-note">Its regex path is not in the OpenAPI document/,
    );
    expect(text).not.toContain("<!--gatestack:services-->");
    expect(text).not.toContain("<script>");
  });

  it("nothing secret: no credential appears anywhere on the portal", async () => {
    for (const path of ["/", "/services.json", "/specs/users.json"]) {
      expect((await get(path)).text).not.toContain(KEY);
    }
  });

  it("serves the front-end's files and nothing else; GET and HEAD only", async () => {
    const js = await get("/assets/portal.js");
    expect(js.res.status).toBe(200);
    expect(js.res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.text).toBe("console.log('portal')");
    expect((await get("/assets/../index.html")).res.status).toBe(200); // URL-normalized to /index.html
    expect((await get("/assets/%2e%2e%2findex.html")).res.status).toBe(404);
    expect((await get("/assets/missing.js")).res.status).toBe(404);
    expect((await get("/specs/nope.json")).res.status).toBe(404);
    expect((await get("/specs/legacy.json")).res.status).toBe(404);
    const post = await get("/services.json", { method: "POST" });
    expect(post.res.status).toBe(405);
    expect(post.res.headers.get("allow")).toBe("GET, HEAD");
  });
});
