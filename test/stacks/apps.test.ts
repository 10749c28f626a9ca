/**
 * The starter FastAPI apps, run as they are shipped with Debian's python3-fastapi / uvicorn
 * (/usr/bin/python3, not the pyenv python on PATH), each on a random port on 127.0.0.1.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type ManagedProcess, startProcess } from "../support/processes.js";

interface AppCase {
  template: string;
  service: string;
  rootPath: string;
  /** The resource collection, relative to the app. */
  collection: string;
  create: Record<string, unknown>;
}

const APPS: AppCase[] = [
  {
    template: "monolith",
    service: "app",
    rootPath: "/api",
    collection: "/items",
    create: { name: "Pen", price: 2.5 },
  },
  {
    template: "microservices",
    service: "users",
    rootPath: "/api/users",
    collection: "/",
    create: { name: "Grace Hopper", email: "grace@example.com" },
  },
  {
    template: "microservices",
    service: "orders",
    rootPath: "/api/orders",
    collection: "/",
    create: { product_id: 2, quantity: 3 },
  },
  {
    template: "microservices",
    service: "catalog",
    rootPath: "/api/catalog",
    collection: "/",
    create: { name: "Desk", price: 250 },
  },
];

/** request_id.py, Dockerfile…: copied into every app folder by `stack init`. */
const SHARED = fileURLToPath(new URL("../../stacks/_shared/service/", import.meta.url));

const running = new Map<string, { url: string; proc: ManagedProcess }>();

beforeAll(async () => {
  await Promise.all(
    APPS.map(async (app) => {
      const port = await freePort();
      const cwd = fileURLToPath(
        new URL(`../../stacks/${app.template}/services/${app.service}/`, import.meta.url),
      );
      const proc = await startProcess(
        "/usr/bin/python3",
        ["-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", String(port), "--proxy-headers"],
        {
          cwd,
          env: { ROOT_PATH: app.rootPath, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: SHARED },
          readyUrl: `http://127.0.0.1:${port}/health`,
          timeoutMs: 30_000,
        },
      );
      running.set(app.service, { url: `http://127.0.0.1:${port}`, proc });
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([...running.values()].map((r) => r.proc.stop()));
});

describe.each(APPS)("$template/$service", (app) => {
  const base = () => running.get(app.service)!.url;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base()}${path}`, { headers });

  it("/health answers ok", async () => {
    const res = await get("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", service: app.service });
  });

  it("lists, creates and gets its resource", async () => {
    const list = await get(app.collection);
    expect(list.status).toBe(200);
    const before = (await list.json()) as { id: number }[];
    expect(before.length).toBeGreaterThan(0);

    const created = await fetch(`${base()}${app.collection}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(app.create),
    });
    expect(created.status).toBe(201);
    const item = (await created.json()) as { id: number };
    expect(item).toMatchObject(app.create);

    const itemPath = `${app.collection.replace(/\/$/, "")}/${item.id}`;
    const one = await get(itemPath);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(item);
    expect((await get(`${app.collection.replace(/\/$/, "")}/99999`)).status).toBe(404);

    const invalid = await fetch(`${base()}${app.collection}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(invalid.status).toBe(422);
  });

  it("serves its OpenAPI under ROOT_PATH, so /docs works behind the gateway prefix", async () => {
    const res = await get("/openapi.json");
    expect(res.status).toBe(200);
    const spec = (await res.json()) as { servers?: { url: string }[]; paths: Record<string, unknown> };
    expect(spec.servers).toEqual([{ url: app.rootPath }]);
    expect(Object.keys(spec.paths)).toContain("/health");
    const docs = await (await get("/docs")).text();
    expect(docs).toContain(`${app.rootPath}/openapi.json`);
  });

  it("echoes X-Request-ID and logs it in a JSON line", async () => {
    const id = `test-${app.service}-${Date.now()}`;
    const res = await get("/health", { "X-Request-ID": id });
    expect(res.headers.get("x-request-id")).toBe(id);
    const generated = (await get("/health")).headers.get("x-request-id");
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(() => running.get(app.service)!.proc.output(), { timeout: 5000 })
      .toContain(`"request_id": "${id}"`);
    const line = running
      .get(app.service)!
      .proc.output()
      .split("\n")
      .find((l) => l.includes(id))!;
    expect(JSON.parse(line)).toMatchObject({
      service: app.service,
      request_id: id,
      method: "GET",
      path: "/health",
      status: 200,
    });
  });
});

describe("monolith/app /private/whoami", () => {
  it("echoes the consumer the gateway identified", async () => {
    const res = await fetch(`${running.get("app")!.url}/private/whoami`, {
      headers: { "X-Consumer-Username": "demo", "X-Consumer-ID": "8f1c0a9e-0000-4000-8000-000000000001" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      username: "demo",
      id: "8f1c0a9e-0000-4000-8000-000000000001",
      custom_id: null,
    });
  });
});

describe("microservices/orders", () => {
  it("records the consumer that placed an order", async () => {
    const res = await fetch(`${running.get("orders")!.url}/`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Consumer-Username": "demo" },
      body: JSON.stringify({ product_id: 1, quantity: 1 }),
    });
    expect(await res.json()).toMatchObject({ consumer: "demo", product_id: 1, quantity: 1 });
  });
});
