/**
 * proxy-cache through the running gateway against a real upstream (Kong's
 * spec/03-plugins/31-proxy-cache re-expressed): Miss/Hit/Refresh/Bypass, TTLs and
 * Cache-Control, cache keys (params, vary_query_params, vary_headers, consumers, routes),
 * cacheable statuses / methods / content types, the bounded LRU store, and the Admin API
 * purge endpoints — each with the `memory` strategy and with the `redis` one against a
 * real redis-server (the same semantics), and the redis strategy shared by several gateway
 * processes, through Redis outages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway, until } from "../../support/gateway.js";
import {
  type GatewayProcess,
  startGatewayProcess,
  writeGatewayConfig,
} from "../../support/gateway-process.js";
import { startTestRedis, type TestRedis } from "../../support/redis.js";
import { postPluginConfig, servicePluginDoc } from "./_plugin-config.js";

interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `/hold`: the upstream sent its first chunk and waits for the test to release the rest. */
const held = { ended: false, release: (): void => undefined };

/** Upstream with httpbin-like endpoints; every answer carries a sequence number. */
async function startCacheUpstream(): Promise<EchoUpstream> {
  let n = 0;
  return startEchoUpstream({
    handler: (req, res) => {
      n++;
      const url = new URL(req.url ?? "/", "http://upstream");
      const parts = url.pathname.split("/").filter(Boolean);
      if (parts[0] === "hold") {
        // a large download, no Content-Length: the first MiB now, the rest once released
        held.ended = false;
        res.writeHead(200, { "content-type": url.searchParams.get("type") ?? "application/octet-stream" });
        res.write(Buffer.alloc(1024 * 1024, 97));
        const timer = setTimeout(() => held.release(), 3000);
        held.release = () => {
          clearTimeout(timer);
          held.release = () => undefined;
          held.ended = true;
          res.end(Buffer.alloc(1024 * 1024, 98));
        };
        return true;
      }
      const json = (status: number, extra: Record<string, string> = {}) => {
        const body = JSON.stringify({ n, path: url.pathname });
        res.writeHead(status, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          ...extra,
        });
        res.end(body);
      };
      if (parts[0] === "status") json(Number(parts[1]));
      else if (parts[0] === "cache") json(200, { "cache-control": `public, max-age=${parts[1]}` });
      else if (parts[0] === "response-headers") {
        const extra: Record<string, string> = {};
        for (const [k, v] of url.searchParams) extra[k.toLowerCase()] = v;
        const body = JSON.stringify({ n });
        res.writeHead(200, { "content-type": "application/json", ...extra });
        res.end(body);
      } else if (parts[0] === "xml") {
        res.writeHead(200, { "content-type": "application/xml" });
        res.end(`<n>${n}</n>`);
      } else if (parts[0] === "stream") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.write(`chunk-1 ${n}\n`);
        setTimeout(() => res.end(`chunk-2 ${n}\n`), 10);
      } else if (parts[0] === "big") {
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("x".repeat(64 * 1024));
      } else json(200, { "x-upstream": "yes" });
      return true;
    },
  });
}

const PLUGIN_1 = "6f1a6a6e-0000-4000-8000-000000000001";
const PLUGIN_2 = "6f1a6a6e-0000-4000-8000-000000000002";
const ROUTE_ONLY_ID = "6f1a6a6e-0000-4000-8000-0000000000aa";

type Strategy = "memory" | "redis";

let upstream: EchoUpstream;
let redis: TestRedis;

/** The strategy fields of a proxy-cache config (redis: the test's redis-server). */
function strategyConfig(strategy: Strategy): Record<string, unknown> {
  return strategy === "memory"
    ? { strategy }
    : { strategy, redis: { host: "127.0.0.1", port: redis.port, timeout: 500 } };
}

beforeAll(async () => {
  [upstream, redis] = await Promise.all([startCacheUpstream(), startTestRedis()]);
});

afterAll(async () => {
  await Promise.all([upstream.close(), redis.stop()]);
});

const status = (r: Reply) => r.headers.get("x-cache-status");

describe.each(["memory", "redis"] as const)("proxy-cache, %s strategy", (strategy) => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let base: string;

  function route(
    name: string,
    config: Record<string, unknown> | null,
    extraPlugins: object[] = [],
    id?: string,
  ) {
    return {
      name,
      paths: [`/${name}`],
      plugins: [
        ...extraPlugins,
        ...(config === null
          ? []
          : [
              {
                name: "proxy-cache",
                ...(id ? { id } : {}),
                config: { ...strategyConfig(strategy), ...config },
              },
            ]),
      ],
    };
  }

  beforeAll(async () => {
    gw = await startTestGateway({
      _format_version: "3.0",
      consumers: [
        { username: "bob", keyauth_credentials: [{ key: "bob" }] },
        { username: "alice", keyauth_credentials: [{ key: "alice" }] },
      ],
      plugins: [{ name: "proxy-cache", config: strategyConfig(strategy) }],
      services: [
        {
          name: "svc",
          url: upstream.url,
          routes: [
            route("route-1", {}, [], PLUGIN_1),
            route("route-2", {}, [], PLUGIN_2),
            { name: "route-3", paths: ["/route-3"], id: ROUTE_ONLY_ID },
            { name: "route-4", paths: ["/route-4"] },
            route("route-5", {}, [{ name: "key-auth" }]),
            route("route-6", { cache_ttl: 1 }),
            route("route-7", { cache_control: true }),
            route("route-8", { cache_control: true, storage_ttl: 600 }),
            route("route-9", { cache_ttl: 1, storage_ttl: 60 }),
            route("route-10", {
              content_type: ["text/html; charset=utf-8", "application/json"],
              response_code: [200, 417],
              request_method: ["GET", "HEAD", "POST"],
            }),
            route("route-11", { response_code: [200], vary_headers: ["foo"] }),
            route("route-12", { response_code: [200], vary_query_params: ["foo"] }),
            route("route-13", {}, [{ name: "key-auth" }]),
            route("route-14", {}, [{ name: "key-auth" }]),
            route("route-17", { content_type: ["*/*"] }),
            route("route-18", { content_type: ["application/xml; charset=UTF-8"] }),
            route("route-19", { content_type: ["application/xml;"] }),
            route("route-case", { ignore_uri_case: true }),
            route("route-quiet", {
              response_headers: { age: false, "X-Cache-Status": false, "X-Cache-Key": false },
            }),
            route("route-lru", {
              content_type: ["text/plain", "application/json"],
              memory: { max_entries: 2 },
            }),
            route("route-small", { content_type: ["text/plain"], memory: { max_bytes: 16 * 1024 } }),
          ],
        },
      ],
    });
    base = gw.proxyUrl;
  });

  afterAll(async () => {
    await gw.close();
  });

  describe("proxy-cache: caching", () => {
    it("caches a simple request: Miss, then Hit with the same body and key", async () => {
      const first = await send(`${base}/route-1/get`);
      expect(first.status).toBe(200);
      expect(status(first)).toBe("Miss");
      const key = first.headers.get("x-cache-key")!;
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      const second = await send(`${base}/route-1/get`);
      expect(status(second)).toBe("Hit");
      expect(second.headers.get("x-cache-key")).toBe(key);
      expect(second.body).toBe(first.body);
      expect(second.headers.get("x-upstream")).toBe("yes");
      expect(Number(second.headers.get("age"))).toBeGreaterThanOrEqual(0);
      expect(second.headers.get("x-kong-proxy-latency")).toMatch(/^\d+$/);
      expect(second.headers.get("x-kong-upstream-latency")).toMatch(/^\d+$/);
    });

    it("caches a chunked (streamed) response", async () => {
      const first = await send(`${base}/route-1/stream`);
      expect(status(first)).toBe("Miss");
      const second = await send(`${base}/route-1/stream`);
      expect(status(second)).toBe("Hit");
      expect(second.body).toBe(first.body);
    });

    it("uses the request arguments in the key, in any order", async () => {
      expect(status(await send(`${base}/route-1/get?a=b&b=c`))).toBe("Miss");
      expect(status(await send(`${base}/route-1/get?a=c`))).toBe("Miss");
      expect(status(await send(`${base}/route-1/get?b=c&a=b`))).toBe("Hit");
      expect(status(await send(`${base}/route-1/get?a&b`))).toBe("Miss");
      expect(status(await send(`${base}/route-1/get?a&b`))).toBe("Hit");
    });

    it("can focus on a subset of the query arguments (vary_query_params)", async () => {
      expect(status(await send(`${base}/route-12/get?foo=b&b=c`))).toBe("Miss");
      expect(status(await send(`${base}/route-12/get?b=d&foo=b`))).toBe("Hit");
    });

    it("uses headers when instructed to (vary_headers)", async () => {
      expect(status(await send(`${base}/route-11/get`, { headers: { foo: "bar" } }))).toBe("Miss");
      expect(status(await send(`${base}/route-11/get`, { headers: { foo: "bar" } }))).toBe("Hit");
      expect(status(await send(`${base}/route-11/get`, { headers: { foo: "baz" } }))).toBe("Miss");
    });

    it("separates caches between routes and between a route plugin and a global one", async () => {
      const a = await send(`${base}/route-3/get`);
      const b = await send(`${base}/route-4/get`);
      expect(status(a)).toBe("Miss");
      expect(status(b)).toBe("Miss");
      expect(a.headers.get("x-cache-key")).not.toBe(b.headers.get("x-cache-key"));
      const c = await send(`${base}/route-2/get`);
      expect(c.headers.get("x-cache-key")).not.toBe(a.headers.get("x-cache-key"));
    });

    it("ignores the request when authentication fails, and keeps one cache per consumer", async () => {
      const anon = await send(`${base}/route-5/get`);
      expect(anon.status).toBe(401);
      expect(status(anon)).toBeNull();
      expect(status(await send(`${base}/route-5/get`, { headers: { apikey: "bob" } }))).toBe("Miss");
      expect(status(await send(`${base}/route-5/get`, { headers: { apikey: "bob" } }))).toBe("Hit");
      expect(status(await send(`${base}/route-5/get`, { headers: { apikey: "alice" } }))).toBe("Miss");
      expect(status(await send(`${base}/route-5/get`, { headers: { apikey: "alice" } }))).toBe("Hit");
      const k13 = (await send(`${base}/route-13/get`, { headers: { apikey: "bob" } })).headers.get(
        "x-cache-key",
      );
      const k14 = (await send(`${base}/route-14/get`, { headers: { apikey: "bob" } })).headers.get(
        "x-cache-key",
      );
      expect(k13).not.toBe(k14);
    });

    it("bypasses uncacheable requests and responses", async () => {
      const post = await send(`${base}/route-1/post`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"foo":"bar"}',
      });
      expect(post.status).toBe(200);
      expect(status(post)).toBe("Bypass");
      const teapot = await send(`${base}/route-1/status/418`);
      expect(teapot.status).toBe(418);
      expect(status(teapot)).toBe("Bypass");
      expect(status(await send(`${base}/route-1/xml`))).toBe("Bypass");
    });

    it("caches non-default methods and statuses when configured", async () => {
      const init = { method: "POST", headers: { "content-type": "application/json" }, body: '{"foo":"bar"}' };
      expect(status(await send(`${base}/route-10/post`, init))).toBe("Miss");
      expect(status(await send(`${base}/route-10/post`, init))).toBe("Hit");
      const first = await send(`${base}/route-10/status/417`);
      expect(first.status).toBe(417);
      expect(status(first)).toBe("Miss");
      const again = await send(`${base}/route-10/status/417`);
      expect(again.status).toBe(417);
      expect(status(again)).toBe("Hit");
    });

    it("matches content types exactly, with wildcards and parameters", async () => {
      const wild1 = await send(`${base}/route-17/xml`);
      expect(wild1.headers.get("content-type")).toBe("application/xml");
      expect(status(wild1)).toBe("Miss");
      expect(status(await send(`${base}/route-17/xml`))).toBe("Hit");
      expect(status(await send(`${base}/route-18/xml`))).toBe("Bypass");
      const invalid = await send(`${base}/route-18/response-headers?Content-Type=application/xml;`);
      expect(invalid.status).toBe(200);
      expect(status(invalid)).toBe("Bypass");
      const badConfig = await send(`${base}/route-19/xml`);
      expect(badConfig.status).toBe(200);
      expect(status(badConfig)).toBe("Bypass");
    });

    it("ignore_uri_case shares the entry between /Get and /get", async () => {
      expect(status(await send(`${base}/route-case/Get`))).toBe("Miss");
      expect(status(await send(`${base}/route-case/get`))).toBe("Hit");
    });

    it("response_headers can turn the diagnostic headers off; Kong-Debug brings them back", async () => {
      await send(`${base}/route-quiet/get`);
      const hit = await send(`${base}/route-quiet/get`);
      expect(JSON.parse(hit.body).n).toBeDefined();
      for (const h of ["x-cache-status", "x-cache-key", "age"]) expect(hit.headers.get(h)).toBeNull();
      const debug = await send(`${base}/route-quiet/get`, { headers: { "kong-debug": "1" } });
      expect(status(debug)).toBe("Hit");
      expect(debug.headers.get("x-cache-key")).toMatch(/^[0-9a-f]{64}$/);
    });

    // the memory strategy's own bounds (Redis bounds itself: maxmemory)
    if (strategy === "memory")
      it("keeps at most memory.max_entries responses, evicting the least recently used", async () => {
        expect(status(await send(`${base}/route-lru/a`))).toBe("Miss");
        expect(status(await send(`${base}/route-lru/b`))).toBe("Miss");
        expect(status(await send(`${base}/route-lru/a`))).toBe("Hit"); // a is now the most recent
        expect(status(await send(`${base}/route-lru/c`))).toBe("Miss"); // evicts b
        expect(status(await send(`${base}/route-lru/a`))).toBe("Hit");
        expect(status(await send(`${base}/route-lru/b`))).toBe("Miss");
      });

    it("streams a large uncacheable response instead of buffering it", async () => {
      for (const [path, cacheable] of [
        ["/route-1/hold", false],
        ["/route-17/hold?type=text/plain", true],
      ] as const) {
        const pending = fetch(`${base}${path}`);
        // a buffered response shows nothing until the upstream finished: release it after a while
        const timer = setTimeout(() => held.release(), 500);
        const res = await pending;
        expect(res.status).toBe(200);
        const reader = res.body!.getReader();
        const first = await reader.read();
        // did the client get bytes while the upstream was still holding back the rest?
        const streamed = !held.ended;
        clearTimeout(timer);
        held.release();
        let total = first.value?.length ?? 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.length;
        }
        expect(total).toBe(2 * 1024 * 1024);
        if (!cacheable) {
          expect(streamed, path).toBe(true);
          expect(res.headers.get("x-cache-status")).toBe("Bypass");
        } else {
          // cacheable (route-17 takes any content type): buffered to be stored, as Kong's cache
          expect(streamed, path).toBe(false);
          expect(res.headers.get("x-cache-status")).toBe("Miss");
        }
      }
    });

    if (strategy === "memory")
      it("never stores a response larger than memory.max_bytes", async () => {
        expect(status(await send(`${base}/route-small/big`))).toBe("Miss");
        expect(status(await send(`${base}/route-small/big`))).toBe("Miss");
      });
  });

  describe("proxy-cache: time to live and Cache-Control", () => {
    it("honours cache_ttl, storage_ttl and the Cache-Control directives", async () => {
      // set everything up, then let time pass once
      expect(status(await send(`${base}/route-6/get`))).toBe("Miss");
      expect(status(await send(`${base}/route-6/get`))).toBe("Hit");
      expect(status(await send(`${base}/route-9/get`))).toBe("Miss");
      expect(status(await send(`${base}/route-9/get`))).toBe("Hit");
      expect(status(await send(`${base}/route-7/cache/2`))).toBe("Miss");
      expect(status(await send(`${base}/route-7/cache/2`))).toBe("Hit");
      const maxAge = { headers: { "cache-control": "max-age=2" } };
      expect(status(await send(`${base}/route-7/cache/10`, maxAge))).toBe("Miss");
      expect(status(await send(`${base}/route-7/cache/10`, maxAge))).toBe("Hit");
      expect(status(await send(`${base}/route-8/cache/2`))).toBe("Miss");
      expect(status(await send(`${base}/route-8/cache/2`))).toBe("Hit");

      // max-age=0 is never cached; public is not required; s-maxage and Expires count
      expect(status(await send(`${base}/route-7/cache/0`))).toBe("Bypass");
      expect(status(await send(`${base}/route-7/cache/0`))).toBe("Bypass");
      expect(status(await send(`${base}/route-7/response-headers?Cache-Control=max-age%3D604800`))).toBe(
        "Miss",
      );
      expect(status(await send(`${base}/route-7/response-headers?Cache-Control=s-maxage%3D604800`))).toBe(
        "Miss",
      );
      const expires = new Date(Date.now() + 5_000_000).toUTCString();
      expect(
        status(await send(`${base}/route-7/response-headers?Expires=${encodeURIComponent(expires)}`)),
      ).toBe("Miss");
      // a stored entry that is not fresh enough for the client
      expect(
        status(await send(`${base}/route-7/cache/2`, { headers: { "cache-control": "min-fresh=30" } })),
      ).toBe("Refresh");
      // only-if-cached on a miss
      const onlyCached = await send(`${base}/route-8/get?not=here`, {
        headers: { "cache-control": "only-if-cached" },
      });
      expect(onlyCached.status).toBe(504);

      await sleep(3100);

      expect(status(await send(`${base}/route-6/get`))).toBe("Miss"); // expired from storage
      expect(status(await send(`${base}/route-6/get`))).toBe("Hit");
      expect(status(await send(`${base}/route-9/get`))).toBe("Refresh"); // still stored, but stale
      expect(status(await send(`${base}/route-9/get`))).toBe("Hit");
      expect(status(await send(`${base}/route-7/cache/2`))).toBe("Miss");
      expect(status(await send(`${base}/route-7/cache/10`, maxAge))).toBe("Refresh");
      expect(
        status(await send(`${base}/route-8/cache/2`, { headers: { "cache-control": "max-stale=0" } })),
      ).toBe("Refresh");
    });
  });

  describe("proxy-cache: Admin API", () => {
    const admin = () => gw.adminUrl!;

    it("reads and purges one entry by plugin id and key, or by key alone", async () => {
      const miss = await send(`${base}/route-1/admin-entry`);
      const key = miss.headers.get("x-cache-key")!;
      expect(status(await send(`${base}/route-1/admin-entry`))).toBe("Hit");

      const entry = await send(`${admin()}/proxy-cache/${PLUGIN_1}/caches/${key}`);
      expect(entry.status).toBe(200);
      const json = JSON.parse(entry.body) as {
        status: number;
        headers: Record<string, string>;
        body: string;
      };
      expect(json.status).toBe(200);
      expect(json.headers["X-Cache-Key"]).toBe(key);
      expect(json.body).toBe(miss.body);
      expect((await send(`${admin()}/proxy-cache/${key}`)).status).toBe(200);

      expect(
        (await send(`${admin()}/proxy-cache/${PLUGIN_1}/caches/${key}`, { method: "DELETE" })).status,
      ).toBe(204);
      expect(status(await send(`${base}/route-1/admin-entry`))).toBe("Miss");
      expect((await send(`${admin()}/proxy-cache/${key}`, { method: "DELETE" })).status).toBe(204);
      expect(status(await send(`${base}/route-1/admin-entry`))).toBe("Miss");
    });

    it("purges every cache", async () => {
      await send(`${base}/route-1/purge-all`);
      await send(`${base}/route-2/purge-all`);
      expect(status(await send(`${base}/route-1/purge-all`))).toBe("Hit");
      expect(status(await send(`${base}/route-2/purge-all`))).toBe("Hit");
      expect((await send(`${admin()}/proxy-cache`, { method: "DELETE" })).status).toBe(204);
      expect(status(await send(`${base}/route-1/purge-all`))).toBe("Miss");
      expect(status(await send(`${base}/route-2/purge-all`))).toBe("Miss");
    });

    it("answers 404 for unknown keys and plugins", async () => {
      expect((await send(`${admin()}/proxy-cache`, { method: "DELETE" })).status).toBe(204);
      expect((await send(`${admin()}/proxy-cache/${PLUGIN_1}/caches/123`, { method: "DELETE" })).status).toBe(
        404,
      );
      expect(
        (await send(`${admin()}/proxy-cache/${ROUTE_ONLY_ID}/caches/123`, { method: "DELETE" })).status,
      ).toBe(404);
      expect((await send(`${admin()}/proxy-cache/${PLUGIN_1}/caches/123`)).status).toBe(404);
      expect((await send(`${admin()}/proxy-cache/123`)).status).toBe(404);
      expect((await send(`${admin()}/proxy-cache/123`, { method: "DELETE" })).status).toBe(404);
    });
  });

  describe("proxy-cache: reloads", () => {
    it("keeps cached entries and the Admin API across a reload of the same configuration", async () => {
      const doc = servicePluginDoc(
        upstream.url,
        { name: "proxy-cache", id: PLUGIN_1, config: strategyConfig(strategy) },
        "/reload",
      );
      const g = await startTestGateway(doc);
      try {
        const miss = await send(`${g.proxyUrl}/reload/x`);
        expect(status(miss)).toBe("Miss");
        await g.apply(doc);
        expect(status(await send(`${g.proxyUrl}/reload/x`))).toBe("Hit");
        const key = miss.headers.get("x-cache-key")!;
        expect((await send(`${g.adminUrl}/proxy-cache/${PLUGIN_1}/caches/${key}`)).status).toBe(200);
        expect(
          (await send(`${g.adminUrl}/proxy-cache/${PLUGIN_1}/caches/${key}`, { method: "DELETE" })).status,
        ).toBe(204);
        expect(status(await send(`${g.proxyUrl}/reload/x`))).toBe("Miss");
      } finally {
        await g.close();
      }
    });
  });
});

describe("proxy-cache: config", () => {
  it("rejects configs Kong rejects (but defaults the strategy to memory), and the redis strategy without a host", async () => {
    const g = await startTestGateway();
    try {
      const post = (config: Record<string, unknown>) => postPluginConfig(g.adminUrl, "proxy-cache", config);
      const empty = await post({ strategy: "memory", response_code: [] });
      expect(empty.status).toBe(400);
      expect(empty.text).toContain("response_code");
      const range = await post({ strategy: "memory", response_code: [90] });
      expect(range.status).toBe(400);
      // beyond Kong (which requires it): no strategy is `memory`, so the user guide's curl works
      expect((await post({})).status).toBe(201);
      const badStrategy = await post({ strategy: "disk" });
      expect(badStrategy.status).toBe(400);
      expect(badStrategy.text).toContain("strategy");
      const noHost = await post({ strategy: "redis" });
      expect(noHost.status).toBe(400);
      expect(JSON.parse(noHost.text).fields).toEqual({
        plugins: [{ config: { redis: { host: "required field missing" } } }],
      });
      expect((await post({ strategy: "redis", redis: { host: "127.0.0.1" } })).status).toBe(201);
    } finally {
      await g.close();
    }
  });
});

describe("proxy-cache, redis strategy shared by gateway processes", () => {
  const PLUGIN = "6f1a6a6e-0000-4000-8000-0000000000cc";
  let shared: TestRedis;
  let replicas: GatewayProcess[];

  beforeAll(async () => {
    shared = await startTestRedis();
    const cfg = writeGatewayConfig(
      servicePluginDoc(
        upstream.url,
        {
          name: "proxy-cache",
          id: PLUGIN,
          config: { strategy: "redis", redis: { host: "127.0.0.1", port: shared.port, timeout: 500 } },
        },
        "/shared",
      ),
    );
    try {
      // the third replica's clock runs 5000 s ahead: Age must not
      replicas = await Promise.all([
        startGatewayProcess(cfg.path),
        startGatewayProcess(cfg.path),
        startGatewayProcess(cfg.path, { clockOffset: "+5000s" }),
      ]);
    } finally {
      cfg.remove();
    }
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await shared.stop();
  });

  const through = (r: GatewayProcess, path: string, init?: RequestInit) => send(`${r.proxyUrl}${path}`, init);
  const entryOf = (r: GatewayProcess, key: string, init?: RequestInit) =>
    send(`${r.adminUrl}/proxy-cache/${PLUGIN}/caches/${key}`, init);

  it("a miss on one replica is a hit on the others: same body, key and headers, aged on the Redis clock", async () => {
    const [a, b, skewed] = replicas as [GatewayProcess, GatewayProcess, GatewayProcess];
    const miss = await through(a, "/shared/item");
    expect(status(miss)).toBe("Miss");
    const key = miss.headers.get("x-cache-key")!;
    // stored before A answered: B's very first lookup finds it
    const hit = await through(b, "/shared/item");
    expect(status(hit)).toBe("Hit");
    expect(hit.body).toBe(miss.body);
    expect(hit.headers.get("x-cache-key")).toBe(key);
    expect(hit.headers.get("x-upstream")).toBe("yes");
    const fromSkewed = await through(skewed, "/shared/item");
    expect(status(fromSkewed)).toBe("Hit");
    expect(fromSkewed.body).toBe(miss.body);
    expect(Number(fromSkewed.headers.get("age"))).toBeLessThan(5);
    // the same entry through every replica's Admin API
    for (const r of replicas) {
      const entry = await entryOf(r, key);
      expect(entry.status).toBe(200);
      expect(JSON.parse(entry.body).body).toBe(miss.body);
    }
  });

  it("a purge through one replica's Admin API purges the entry for every replica", async () => {
    const [a, b, c] = replicas as [GatewayProcess, GatewayProcess, GatewayProcess];
    const key = (await through(a, "/shared/purged")).headers.get("x-cache-key")!;
    expect(status(await through(b, "/shared/purged"))).toBe("Hit");
    expect((await entryOf(c, key, { method: "DELETE" })).status).toBe(204);
    expect((await entryOf(b, key)).status).toBe(404);
    expect(status(await through(b, "/shared/purged"))).toBe("Miss");

    await through(a, "/shared/one");
    await through(a, "/shared/two");
    expect(status(await through(c, "/shared/two"))).toBe("Hit");
    expect((await send(`${b.adminUrl}/proxy-cache`, { method: "DELETE" })).status).toBe(204);
    expect(status(await through(c, "/shared/one"))).toBe("Miss");
    expect(status(await through(a, "/shared/two"))).toBe("Miss");
  });

  it("Redis killed mid-burst: no request fails, every replica answers from the upstream as Bypass; caching resumes", async () => {
    const [a, b] = replicas as [GatewayProcess, GatewayProcess, GatewayProcess];
    const cached = await through(a, "/shared/outage");
    expect(status(await through(b, "/shared/outage"))).toBe("Hit");

    const burst = Array.from({ length: 60 }, async (_, i) => {
      if (i === 20) await shared.kill();
      return through(replicas[i % 3]!, "/shared/outage");
    });
    const answers: Reply[] = [];
    for (const request of burst) answers.push(await request);
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const during = answers.slice(-3);
    expect(during.map(status)).toEqual(["Bypass", "Bypass", "Bypass"]);
    for (const r of during) expect(JSON.parse(r.body).n).not.toBe(JSON.parse(cached.body).n);
    // the Admin API reports the store's error (Kong: 500), it does not hang or crash
    const entry = await entryOf(a, cached.headers.get("x-cache-key")!);
    expect(entry.status).toBe(500);
    expect(JSON.parse(entry.body).message).toMatch(/Redis|connect/i);

    await shared.start();
    // each replica reconnects on its own (ioredis retries at most 1 s apart)
    for (const [i, r] of replicas.entries()) {
      await until(async () => status(await through(r, `/shared/reconnected-${i}`)) !== "Bypass", 10_000);
    }
    expect(status(await through(a, "/shared/outage"))).toBe("Miss");
    expect(status(await through(b, "/shared/outage"))).toBe("Hit");
  });
});
