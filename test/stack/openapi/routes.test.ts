import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatestackError } from "../../../src/errors.js";
import { compileLinearRegex } from "../../../src/gateway/linear-regex.js";
import { loadOpenApiDocument } from "../../../src/stack/openapi/document.js";
import { routeName, routesFromOpenApi, slugify } from "../../../src/stack/openapi/routes.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gatestack-openapi-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function docFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** OpenAPI 3.0 in YAML: a path parameter through a $ref, a literal path beside a parameter one, no operationId. */
const OAS30 = `openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /items/{item-id}:
    parameters:
      - $ref: "#/components/parameters/ItemId"
    get:
      operationId: getItem
      tags: [items, "a/b"]
      responses: {"200": {description: ok}}
    delete:
      responses: {"204": {description: gone}}
  /items/latest:
    get:
      operationId: latestItem
      responses: {"200": {description: ok}}
  /files/{name}.json:
    get:
      operationId: getFile
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, minLength: 0}}
      responses: {"200": {description: ok}}
components:
  parameters:
    ItemId: {name: item-id, in: path, required: true, schema: {type: string}}
`;

/** OpenAPI 3.1 in JSON, with a $ref'd path item. */
const OAS31 = JSON.stringify({
  openapi: "3.1.0",
  info: { title: "Users", version: "1" },
  paths: {
    "/users/{userId}/": { $ref: "#/components/pathItems/User" },
  },
  components: {
    pathItems: {
      User: {
        parameters: [{ name: "userId", in: "path", required: true, schema: { type: "integer" } }],
        get: { responses: { "200": { description: "ok" } } },
        trace: { responses: { "200": { description: "ok" } } },
      },
    },
  },
});

describe("OpenAPI → routes (decK openapi2kong's rules)", () => {
  it("3.0 YAML (paths sorted bytewise, as openapi2kong): regex paths with named captures, $ref parameters resolved, names, tags, priorities", async () => {
    const doc = await loadOpenApiDocument(await docFile("shop.yaml", OAS30));
    expect(doc.version).toBe("3.0.3");
    const { routes, skipped } = routesFromOpenApi(doc, { service: "shop", prefix: "" });
    expect(skipped).toEqual([]);
    expect(routes).toEqual([
      {
        name: "shop-getfile",
        paths: ["~/files/(?<name>[^#?/]*)\\.json$"],
        methods: ["GET"],
        strip_path: false,
        regex_priority: 100,
        tags: ["openapi"],
      },
      {
        name: "shop-latestitem",
        paths: ["~/items/latest$"],
        methods: ["GET"],
        strip_path: false,
        regex_priority: 200,
        tags: ["openapi"],
      },
      {
        name: "shop-items-item-id-delete",
        paths: ["~/items/(?<item_id>[^#?/]+)$"],
        methods: ["DELETE"],
        strip_path: false,
        regex_priority: 100,
        tags: ["openapi"],
      },
      {
        name: "shop-getitem",
        paths: ["~/items/(?<item_id>[^#?/]+)$"],
        methods: ["GET"],
        strip_path: false,
        regex_priority: 100,
        tags: ["openapi", "items", "a-b"],
      },
    ]);
    // The regexes are what the gateway compiles, and they match what the operations serve.
    const item = compileLinearRegex(`^${routes.find((r) => r.name === "shop-getitem")!.paths[0].slice(1)}`);
    expect(item.exec("/items/42")?.groups).toEqual({ item_id: "42" });
    expect(item.test("/items/42/more")).toBe(false);
    expect(compileLinearRegex(`^${routes[0]!.paths[0].slice(1)}`).test("/files/.json")).toBe(true);
  });

  it("3.1 JSON: a $ref'd path item, a trailing slash in the name, TRACE skipped", async () => {
    const doc = await loadOpenApiDocument(await docFile("users.json", OAS31));
    expect(doc.version).toBe("3.1.0");
    const { routes, skipped } = routesFromOpenApi(doc, { service: "users", prefix: "" });
    expect(skipped).toEqual(["TRACE /users/{userId}/"]);
    expect(routes.map((r) => [r.name, r.paths[0]])).toEqual([
      ["users-users-userid-slash-get", "~/users/(?<userid>[^#?/]+)/$"],
    ]);
  });

  it("under a prefix: the prefix leads the regex and a request-transformer sends the app its own path", async () => {
    const doc = await loadOpenApiDocument(await docFile("shop2.yaml", OAS30));
    const { routes } = routesFromOpenApi(doc, { service: "shop", prefix: "/api/v1.0/" });
    const getItem = routes.find((r) => r.name === "shop-getitem")!;
    expect(getItem.paths).toEqual(["~/api/v1\\.0/items/(?<item_id>[^#?/]+)$"]);
    expect(getItem.plugins).toEqual([
      { name: "request-transformer", config: { replace: { uri: "/items/$(uri_captures.item_id)" } } },
    ]);
  });

  it("servers[0].url's path is reported (FastAPI's root_path), templated or absent ones as none", async () => {
    const withServer = (url: string) =>
      JSON.stringify({ openapi: "3.0.3", info: { title: "x", version: "1" }, servers: [{ url }], paths: {} });
    const at = async (url: string) =>
      (await loadOpenApiDocument(await docFile("srv.json", withServer(url)))).serverPath;
    expect(await at("https://api.example.com/api/users/")).toBe("/api/users");
    expect(await at("/api")).toBe("/api");
    expect(await at("https://{host}/")).toBe("");
    expect(await at("/{version}/x")).toBe("");
    expect((await loadOpenApiDocument(await docFile("nosrv.yaml", OAS30))).serverPath).toBe("");
  });

  it("names: slugified as go-slugify does, cut to 40 characters with a hash that keeps them apart", () => {
    expect(slugify("  Read Item  (v2) ")).toBe("read-item-v2");
    expect(slugify("Ünïcödé_name")).toBe("unicode-name");
    const op = (operationId: string) => ({
      path: "/x",
      method: "GET",
      operationId,
      tags: [],
      pathParameters: [],
    });
    const long = routeName("app", op("read_user_items_users__user_id__items__item_id__get"));
    const other = routeName("app", op("read_user_items_users__user_id__items__item_id__put"));
    expect(long.length).toBeLessThanOrEqual(40);
    expect(long).toMatch(/^app-read-user-items-users-user-id-[0-9a-f]{6}$/);
    expect(long).not.toBe(other);
  });

  describe("bad documents: a clear error naming the place", () => {
    const cases: {
      name: string;
      file: string;
      text: string;
      code: string;
      place: RegExp;
      message: RegExp;
    }[] = [
      {
        name: "YAML syntax",
        file: "bad-syntax.yaml",
        text: "openapi: 3.0.3\ninfo: {title: x\n",
        code: "E_OPENAPI_INVALID",
        place: /bad-syntax\.yaml:\d+:\d+$/,
        message: /not an OpenAPI document: invalid YAML/,
      },
      {
        name: "Swagger 2.0",
        file: "bad-swagger.yaml",
        text: 'swagger: "2.0"\ninfo: {title: x, version: "1"}\npaths: {}\n',
        code: "E_OPENAPI_INVALID",
        place: /bad-swagger\.yaml:1:10$/,
        message: /only OpenAPI 3\.0 and 3\.1 documents are supported \(got swagger 2\.0\)/,
      },
      {
        name: "schema violation",
        file: "bad-schema.yaml",
        text: "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {}\n",
        code: "E_OPENAPI_INVALID",
        place: /bad-schema\.yaml:6:18$/,
        message: /#\/paths\/~1a\/get\/responses: must NOT have fewer than 1 properties/,
      },
      {
        name: "missing $ref target",
        file: "bad-ref.yaml",
        text: "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a/{id}:\n    get:\n      parameters:\n        - $ref: '#/components/parameters/Nope'\n      responses: {'200': {description: ok}}\n",
        code: "E_OPENAPI_INVALID",
        place: /bad-ref\.yaml:7:17$/,
        message: /Missing \$ref pointer "#\/components\/parameters\/Nope"/,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const file = await docFile(c.file, c.text);
        const err = await loadOpenApiDocument(file).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GatestackError);
        const e = err as GatestackError;
        expect(e.code).toBe(c.code);
        expect(e.place).toMatch(c.place);
        expect(e.message).toMatch(c.message);
      });
    }

    it("a missing file is E_IO naming it", async () => {
      const err = (await loadOpenApiDocument(join(dir, "nope.json")).catch(
        (e: unknown) => e,
      )) as GatestackError;
      expect(err.code).toBe("E_IO");
      expect(err.place).toMatch(/nope\.json$/);
    });
  });
});
