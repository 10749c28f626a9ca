import { describe, expect, it } from "vitest";
import { isOpenApi3, type PortalRoute, portalDocument } from "../../../src/gateway/portal/document.js";

const APP = {
  openapi: "3.1.0",
  info: { title: "Users", version: "1.0" },
  servers: [{ url: "http://users:8000" }],
  paths: {
    "/items": {
      summary: "Items",
      get: { operationId: "list_items", responses: { "200": { description: "ok" } } },
      post: { operationId: "create_item", responses: { "201": { description: "created" } } },
    },
    "/items/{id}": {
      parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
      get: { operationId: "get_item", servers: [{ url: "http://elsewhere" }], responses: {} },
    },
  },
  components: { schemas: { Item: { type: "object" } } },
};

const SERVICE = { id: "s1", name: "users", path: null };
const NO_AUTH = { schemes: {}, requirement: [], plugins: [] };
const KEY_AUTH = {
  schemes: {
    "key-auth.apikey": { type: "apiKey" as const, in: "header" as const, name: "apikey", description: "" },
  },
  requirement: [{ "key-auth.apikey": [] }],
  plugins: ["key-auth"],
};

function route(over: Partial<PortalRoute["route"]>): PortalRoute["route"] {
  return { id: "r1", name: "r1", paths: ["/users"], strip_path: true, methods: null, ...over };
}

describe("portalDocument: the app's document as published through the gateway", () => {
  it("paths under the route's prefix, one server (the portal's base), the app's servers gone", () => {
    const doc = portalDocument(APP, SERVICE, [{ route: route({}), security: NO_AUTH }], "/");
    expect(Object.keys(doc.paths as object)).toEqual(["/users/items", "/users/items/{id}"]);
    expect(doc.servers).toEqual([{ url: "/", description: "through the API gateway" }]);
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(paths["/users/items/{id}"]!.get!.servers).toBeUndefined();
    expect(paths["/users/items/{id}"]!.parameters).toEqual(APP.paths["/items/{id}"].parameters);
    expect(paths["/users/items"]!.summary).toBe("Items");
    expect((doc.components as { schemas: unknown }).schemas).toEqual(APP.components.schemas);
    expect(doc.info).toEqual(APP.info);
  });

  it("each operation carries its route's authentication; the schemes are components", () => {
    const doc = portalDocument(APP, SERVICE, [{ route: route({}), security: KEY_AUTH }], "/");
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(paths["/users/items"]!.get!.security).toEqual([{ "key-auth.apikey": [] }]);
    expect((doc.components as { securitySchemes: unknown }).securitySchemes).toEqual(KEY_AUTH.schemes);
  });

  it("only the methods a route accepts; several routes: each prefix, operationIds kept unique", () => {
    const doc = portalDocument(
      APP,
      SERVICE,
      [
        { route: route({ name: "read", methods: ["GET"] }), security: NO_AUTH },
        {
          route: route({ id: "r2", name: "write", paths: ["/admin"], methods: ["POST"] }),
          security: KEY_AUTH,
        },
        { route: route({ id: "r3", name: "v2", paths: ["/v2"], methods: ["GET"] }), security: NO_AUTH },
      ],
      "/",
    );
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(paths["/users/items"]!)).toEqual(["summary", "get"]);
    expect(Object.keys(paths["/admin/items"]!)).toEqual(["summary", "post"]);
    expect(paths["/admin/items"]!.post!.security).toEqual(KEY_AUTH.requirement);
    expect(paths["/users/items"]!.get!.operationId).toBe("list_items");
    expect(paths["/v2/items"]!.get!.operationId).toBe("list_items_v2");
    expect(paths["/v2/items"]!.get!["x-gateway-route"]).toBe("v2");
  });

  it("a route without strip_path keeps the app's paths that its prefix matches", () => {
    const doc = portalDocument(
      APP,
      SERVICE,
      [{ route: route({ paths: ["/items"], strip_path: false }), security: NO_AUTH }],
      "/",
    );
    expect(Object.keys(doc.paths as object)).toEqual(["/items", "/items/{id}"]);
  });

  it("names the routes it cannot map (regex paths with strip_path) instead of leaving them out silently", () => {
    const doc = portalDocument(
      { ...APP, info: { title: "Users", version: "1.0", description: "The users API." } },
      SERVICE,
      [
        { route: route({}), security: NO_AUTH },
        { route: route({ id: "r2", name: "by-version", paths: ["~/v[0-9]+", "/plain"] }), security: NO_AUTH },
      ],
      "/",
    );
    // the mapped paths are all there, the plain path of the mixed route too
    expect(Object.keys(doc.paths as object)).toContain("/plain/items");
    expect(doc["x-gateway-unmapped-routes"]).toEqual([
      { route: "by-version", paths: ["~/v[0-9]+"], reason: "regex path with strip_path" },
    ]);
    expect((doc.info as { description: string }).description).toBe(
      "The users API.\n\nNot listed here: route by-version (~/v[0-9]+) — regex paths with strip_path, " +
        "which the portal cannot map the app's paths through.",
    );
    // none unmapped: the document's info is the app's own
    const plain = portalDocument(APP, SERVICE, [{ route: route({}), security: NO_AUTH }], "/");
    expect(plain["x-gateway-unmapped-routes"]).toBeUndefined();
  });

  it("no route reaches the app: no operations", () => {
    const doc = portalDocument(APP, SERVICE, [], "/");
    expect(doc.paths).toEqual({});
  });

  it("isOpenApi3: OpenAPI 3 documents only", () => {
    expect(isOpenApi3(APP)).toBe(true);
    expect(isOpenApi3({ swagger: "2.0", paths: {} })).toBe(false);
    expect(isOpenApi3({ openapi: "3.0.3" })).toBe(false);
    expect(isOpenApi3([])).toBe(false);
  });
});
