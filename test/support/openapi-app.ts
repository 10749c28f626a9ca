/**
 * A FastAPI-like app on 127.0.0.1:0 for portal tests: it serves its OpenAPI document at
 * /openapi.json (FastAPI's default) and the operations it describes — `GET /items` (a JSON list),
 * `GET /items/{item_id}`, `POST /items` — or, with `openapi: false`, the operations and no document
 * (404 at /openapi.json, as an app with `openapi_url=None`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface OpenApiApp {
  url: string;
  port: number;
  /** every request's method and path (with query), in order */
  requests: string[];
  close(): Promise<void>;
}

export const ITEMS_DOCUMENT = {
  openapi: "3.1.0",
  info: { title: "Items", version: "1.0.0" },
  paths: {
    "/items": {
      get: {
        operationId: "list_items",
        summary: "List items",
        tags: ["items"],
        responses: {
          "200": {
            description: "The items",
            content: {
              "application/json": { schema: { type: "array", items: { $ref: "#/components/schemas/Item" } } },
            },
          },
        },
      },
      post: {
        operationId: "create_item",
        summary: "Create an item",
        tags: ["items"],
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } },
        },
        responses: { "201": { description: "Created" } },
      },
    },
    "/items/{item_id}": {
      get: {
        operationId: "read_item",
        summary: "Read an item",
        tags: ["items"],
        parameters: [{ name: "item_id", in: "path", required: true, schema: { type: "integer" } }],
        responses: { "200": { description: "The item" }, "404": { description: "Not found" } },
      },
    },
  },
  components: {
    schemas: {
      Item: {
        type: "object",
        properties: { id: { type: "integer" }, name: { type: "string" } },
        required: ["name"],
      },
    },
  },
};

const ITEMS = [
  { id: 1, name: "hammer" },
  { id: 2, name: "saw" },
];

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startOpenApiApp(
  opts: {
    openapi?: boolean;
    document?: object;
    answer?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Promise<OpenApiApp> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      if (opts.answer?.(req, res)) return;
      const path = (req.url ?? "/").split("?")[0]!;
      if (path === "/openapi.json" && opts.openapi !== false)
        return send(res, 200, opts.document ?? ITEMS_DOCUMENT);
      if (path === "/items" && req.method === "GET") return send(res, 200, ITEMS);
      if (path === "/items" && req.method === "POST") return send(res, 201, { id: 3 });
      const item = /^\/items\/(\d+)$/.exec(path);
      if (item !== null && req.method === "GET") {
        const found = ITEMS.find((i) => i.id === Number(item[1]));
        return found === undefined ? send(res, 404, { detail: "Item not found" }) : send(res, 200, found);
      }
      send(res, 404, { detail: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
