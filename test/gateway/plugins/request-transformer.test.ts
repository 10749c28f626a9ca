/**
 * request-transformer through the running gateway (Kong's
 * spec/03-plugins/36-request-transformer/02-access_spec.lua re-expressed): each operation
 * on headers, query string and bodies, Kong's order, templates with URI captures, method
 * changes — plus scope precedence (consumer-scoped entries after key-auth, route over
 * global) and `enabled: false`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const rt = (name: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name,
  paths: [`/${name}`],
  plugins: [{ name: "request-transformer", config }],
  ...extra,
});

const form = { "content-type": "application/x-www-form-urlencoded" };
const json = { "content-type": "application/json" };

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(
      upstream.url,
      [
        rt("remove", {
          remove: { headers: ["x-drop", "X-Other"], querystring: ["q1"], body: ["b1"] },
        }),
        rt("rename", {
          rename: { headers: ["x-old:x-new"], querystring: ["q-old:q-new"], body: ["b-old:b-new"] },
        }),
        rt("replace", {
          replace: { headers: ["x-rep:replaced"], querystring: ["q:replaced"], body: ["b:replaced"] },
        }),
        rt("add", {
          add: {
            headers: ["x-added:yes", "x-kept:added"],
            querystring: ["qa:1", "qk:added"],
            body: ["ba:v1", "bk:added"],
          },
        }),
        rt("append", {
          append: { headers: ["x-multi:two"], querystring: ["q:2"], body: ["b:two"] },
        }),
        rt("order", {
          remove: { headers: ["x-h"] },
          add: { headers: ["x-h:added-after-remove"] },
          replace: { headers: ["x-h:never"] },
        }),
        rt("method", { http_method: "GET" }),
        rt("host", {
          replace: { headers: ["host:rewritten.test"] },
          add: { headers: ["host:ignored.test"] },
        }),
        {
          name: "captures",
          paths: ["~/users/(?<user>\\d+)/items/(\\d+)$"],
          strip_path: false,
          plugins: [
            {
              name: "request-transformer",
              config: {
                replace: { uri: "/v2/$(uri_captures.user)/$(uri_captures[2])" },
                add: {
                  headers: [
                    "x-user:$(uri_captures.user)",
                    "x-from-header:$(headers.x_source)",
                    'x-fallback:$(query_params.missing or "dflt")',
                    "x-literal:\\$(not-a-template)",
                  ],
                },
              },
            },
          ],
        },
        rt("multipart", { remove: { body: ["secret"] }, add: { body: ["added:1"] } }),
        rt("scoped", { add: { headers: ["x-scope:route"] } }),
        {
          name: "by-consumer",
          paths: ["/by-consumer"],
          plugins: [{ name: "key-auth" }],
        },
        {
          name: "by-consumer-route",
          paths: ["/by-consumer-route"],
          plugins: [{ name: "key-auth" }],
        },
        {
          name: "disabled",
          paths: ["/disabled"],
          plugins: [
            { name: "request-transformer", enabled: false, config: { add: { headers: ["x-disabled:1"] } } },
          ],
        },
      ],
      {
        consumers: [
          {
            username: "gold",
            keyauth_credentials: [{ key: "gold-key" }],
            plugins: [{ name: "request-transformer", config: { add: { headers: ["x-plan:gold"] } } }],
          },
          { username: "free", keyauth_credentials: [{ key: "free-key" }] },
        ],
        plugins: [
          { name: "request-transformer", config: { add: { headers: ["x-scope:global"] } } },
          {
            name: "request-transformer",
            consumer: "gold",
            route: "by-consumer-route",
            config: { add: { headers: ["x-plan:gold-on-this-route"] } },
          },
        ],
      },
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("request-transformer: operations", () => {
  it("removes headers, query parameters and form body fields", async () => {
    const r = await send(gw.proxyUrl, "/remove?q1=a&q2=b", {
      method: "POST",
      headers: { ...form, "x-drop": "1", "x-other": "2", "x-keep": "3" },
      body: "b1=x&b2=y",
    });
    const seen = r.upstream();
    expect(seen.headers["x-drop"]).toBeUndefined();
    expect(seen.headers["x-other"]).toBeUndefined();
    expect(seen.headers["x-keep"]).toBe("3");
    expect(seen.url).toBe("/?q2=b");
    expect(seen.body).toBe("b2=y");
    expect(seen.headers["content-length"]).toBe("4");
  });

  it("removes JSON body fields", async () => {
    const r = await send(gw.proxyUrl, "/remove", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ b1: 1, b2: { nested: true } }),
    });
    expect(JSON.parse(r.upstream().body)).toEqual({ b2: { nested: true } });
  });

  it("renames headers, query parameters and body fields", async () => {
    const r = await send(gw.proxyUrl, "/rename?q-old=1&z=2", {
      method: "POST",
      headers: { ...json, "x-old": "v" },
      body: JSON.stringify({ "b-old": [1, 2], other: "o" }),
    });
    const seen = r.upstream();
    expect(seen.headers["x-old"]).toBeUndefined();
    expect(seen.headers["x-new"]).toBe("v");
    expect(new URLSearchParams(seen.url.split("?")[1]).get("q-new")).toBe("1");
    expect(JSON.parse(seen.body)).toEqual({ "b-new": [1, 2], other: "o" });
  });

  it("replaces only what is present", async () => {
    const present = await send(gw.proxyUrl, "/replace?q=orig", {
      method: "POST",
      headers: { ...form, "x-rep": "orig" },
      body: "b=orig",
    });
    expect(present.upstream().headers["x-rep"]).toBe("replaced");
    expect(present.upstream().url).toBe("/?q=replaced");
    expect(present.upstream().body).toBe("b=replaced");
    const absent = await send(gw.proxyUrl, "/replace", { method: "POST", headers: form, body: "c=1" });
    expect(absent.upstream().headers["x-rep"]).toBeUndefined();
    expect(absent.upstream().url).toBe("/");
    expect(absent.upstream().body).toBe("c=1");
  });

  it("adds only what is absent, including into an empty JSON body", async () => {
    const r = await send(gw.proxyUrl, "/add?qk=orig", {
      method: "POST",
      headers: { ...json, "x-kept": "orig" },
      body: JSON.stringify({ bk: "orig" }),
    });
    const seen = r.upstream();
    expect(seen.headers["x-added"]).toBe("yes");
    expect(seen.headers["x-kept"]).toBe("orig");
    const query = new URLSearchParams(seen.url.split("?")[1]);
    expect(query.get("qk")).toBe("orig");
    expect(query.get("qa")).toBe("1");
    expect(JSON.parse(seen.body)).toEqual({ bk: "orig", ba: "v1" });
    const empty = await send(gw.proxyUrl, "/add", { method: "POST", headers: json, body: "" });
    expect(JSON.parse(empty.upstream().body)).toEqual({ ba: "v1", bk: "added" });
  });

  it("appends header values, query values and turns JSON fields into lists", async () => {
    const r = await send(gw.proxyUrl, "/append?q=1", {
      method: "POST",
      headers: { ...json, "x-multi": "one" },
      body: JSON.stringify({ b: "one" }),
    });
    const seen = r.upstream();
    expect(seen.headers["x-multi"]).toBe("one, two");
    expect(new URLSearchParams(seen.url.split("?")[1]).getAll("q")).toEqual(["1", "2"]);
    expect(JSON.parse(seen.body)).toEqual({ b: ["one", "two"] });
  });

  it("applies Kong's order: remove, rename, replace, add, append", async () => {
    const r = await send(gw.proxyUrl, "/order", { headers: { "x-h": "client" } });
    expect(r.upstream().headers["x-h"]).toBe("added-after-remove");
  });

  it("changes the method and moves a form body into the query string for GET", async () => {
    const r = await send(gw.proxyUrl, "/method?a=1", { method: "POST", headers: form, body: "b=2&c=3" });
    const seen = r.upstream();
    expect(seen.method).toBe("GET");
    expect(Object.fromEntries(new URLSearchParams(seen.url.split("?")[1]))).toEqual({
      a: "1",
      b: "2",
      c: "3",
    });
  });

  it("replaces the Host sent upstream", async () => {
    const r = await send(gw.proxyUrl, "/host");
    expect(r.upstream().headers.host).toBe("rewritten.test");
  });

  it("edits multipart bodies", async () => {
    const boundary = "b0undary";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="secret"\r\n\r\nhide me\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n` +
      `--${boundary}--\r\n`;
    const r = await send(gw.proxyUrl, "/multipart", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    const seen = r.upstream().body;
    expect(seen).not.toContain("hide me");
    expect(seen).toContain('filename="a.txt"');
    expect(seen).toContain("file body");
    expect(seen).toContain('name="added"\r\n\r\n1\r\n');
  });
});

describe("request-transformer: templates", () => {
  it("rewrites the URI with named and numbered captures and renders header templates", async () => {
    const r = await send(gw.proxyUrl, "/users/42/items/7?x=1", { headers: { "x-source": "mobile" } });
    const seen = r.upstream();
    expect(seen.url).toBe("/v2/42/7?x=1");
    expect(seen.headers["x-user"]).toBe("42");
    expect(seen.headers["x-from-header"]).toBe("mobile");
    expect(seen.headers["x-fallback"]).toBe("dflt");
    expect(seen.headers["x-literal"]).toBe("$(not-a-template)");
  });

  it("rejects malformed templates at load time", async () => {
    const bad = kongDoc(upstream.url, [rt("bad", { add: { headers: ["x:$(headers.a"] } })]);
    await expect(gw.apply(bad)).rejects.toThrow(/unclosed/);
    const badPair = kongDoc(upstream.url, [rt("bad2", { add: { headers: ["no-colon"] } })]);
    await expect(gw.apply(badPair)).rejects.toThrow(/invalid value: no-colon/);
  });
});

describe("request-transformer: scopes", () => {
  it("a route entry wins over the global one", async () => {
    expect((await send(gw.proxyUrl, "/scoped")).upstream().headers["x-scope"]).toBe("route");
    expect(
      (await send(gw.proxyUrl, "/by-consumer", { headers: { apikey: "free-key" } })).upstream().headers[
        "x-scope"
      ],
    ).toBe("global");
  });

  it("a consumer+route entry wins over the consumer-only entry", async () => {
    const here = await send(gw.proxyUrl, "/by-consumer-route", { headers: { apikey: "gold-key" } });
    expect(here.upstream().headers["x-plan"]).toBe("gold-on-this-route");
    const free = await send(gw.proxyUrl, "/by-consumer-route", { headers: { apikey: "free-key" } });
    expect(free.upstream().headers["x-plan"]).toBeUndefined();
    expect(free.upstream().headers["x-scope"]).toBe("global");
  });

  it("a disabled route entry is ignored (Kong loads enabled entries only), so the global one applies", async () => {
    const seen = (await send(gw.proxyUrl, "/disabled")).upstream().headers;
    expect(seen["x-disabled"]).toBeUndefined();
    expect(seen["x-scope"]).toBe("global");
  });

  it("a consumer-scoped entry applies once key-auth identified that consumer", async () => {
    const gold = await send(gw.proxyUrl, "/by-consumer", { headers: { apikey: "gold-key" } });
    expect(gold.upstream().headers["x-plan"]).toBe("gold");
    expect(gold.upstream().headers["x-scope"]).toBeUndefined();
    const free = await send(gw.proxyUrl, "/by-consumer", { headers: { apikey: "free-key" } });
    expect(free.upstream().headers["x-plan"]).toBeUndefined();
  });
});
