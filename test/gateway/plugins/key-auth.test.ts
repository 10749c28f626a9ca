/**
 * key-auth through the running gateway against a real upstream (Kong's
 * spec/03-plugins/09-key-auth/02-access_spec.lua re-expressed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, rawRequest, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const BOB_ID = "b0b00000-0000-4000-8000-000000000001";
const ANON_ID = "a0000000-0000-4000-8000-0000000000aa";

beforeAll(async () => {
  upstream = await startEchoUpstream();
  gw = await startTestGateway(
    kongDoc(
      upstream.url,
      [
        { name: "plain", paths: ["/plain"], plugins: [{ name: "key-auth" }] },
        {
          name: "hidden",
          paths: ["/hidden"],
          plugins: [{ name: "key-auth", config: { hide_credentials: true, key_in_body: true } }],
        },
        {
          name: "custom-names",
          paths: ["/names"],
          plugins: [{ name: "key-auth", config: { key_names: ["x-api-key", "token"], key_in_query: false } }],
        },
        {
          name: "underscore",
          paths: ["/underscore"],
          plugins: [{ name: "key-auth", config: { key_names: ["api_key"] } }],
        },
        { name: "body", paths: ["/body"], plugins: [{ name: "key-auth", config: { key_in_body: true } }] },
        { name: "anon", paths: ["/anon"], plugins: [{ name: "key-auth", config: { anonymous: "guest" } }] },
        {
          name: "anon-missing",
          paths: ["/anon-missing"],
          plugins: [{ name: "key-auth", config: { anonymous: "nobody" } }],
        },
        {
          name: "preflight",
          paths: ["/preflight"],
          plugins: [{ name: "key-auth", config: { run_on_preflight: false, realm: "kong" } }],
        },
        { name: "disabled", paths: ["/disabled"], plugins: [{ name: "key-auth", enabled: false }] },
      ],
      {
        consumers: [
          { id: BOB_ID, username: "bob", custom_id: "bob-custom", keyauth_credentials: [{ key: "kong" }] },
          { username: "alice", keyauth_credentials: [{ key: "alice-key" }] },
          { id: ANON_ID, username: "guest" },
        ],
      },
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("key-auth: missing and wrong keys", () => {
  it("answers 401 'No API key found in request' with WWW-Authenticate: Key", async () => {
    const r = await send(gw.proxyUrl, "/plain");
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("No API key found in request");
    expect(r.headers["www-authenticate"]).toBe("Key");
  });

  it("answers 401 'Unauthorized' for an unknown key, in the header or the query", async () => {
    const h = await send(gw.proxyUrl, "/plain", { headers: { apikey: "nope" } });
    expect(h.status).toBe(401);
    expect(h.json().message).toBe("Unauthorized");
    expect(h.headers["www-authenticate"]).toBe("Key");
    const q = await send(gw.proxyUrl, "/plain?apikey=nope");
    expect(q.status).toBe(401);
    expect(q.json().message).toBe("Unauthorized");
  });

  it("treats an empty key as missing", async () => {
    const r = await send(gw.proxyUrl, "/plain?apikey=");
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("No API key found in request");
  });

  it("answers 401 'Duplicate API key found' for a repeated query key", async () => {
    const r = await send(gw.proxyUrl, "/plain?apikey=kong&apikey=other");
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Duplicate API key found");
  });

  it("answers 401 'Duplicate API key found' for a repeated key header (even two equal values)", async () => {
    for (const values of [
      ["kong", "other"],
      ["kong", "kong"],
    ]) {
      const r = await rawRequest(gw.proxyUrl, "/plain", { headers: { apikey: values } });
      expect(r.status).toBe(401);
      expect((r.json as { message: string }).message).toBe("Duplicate API key found");
    }
    // one header line is one key
    expect((await rawRequest(gw.proxyUrl, "/plain", { headers: { apikey: "kong" } })).status).toBe(200);
  });

  it("sends the configured realm", async () => {
    const r = await send(gw.proxyUrl, "/preflight");
    expect(r.headers["www-authenticate"]).toBe('Key realm="kong"');
  });

  it("is not applied when the entry is disabled", async () => {
    const r = await send(gw.proxyUrl, "/disabled");
    expect(r.status).toBe(200);
  });
});

describe("key-auth: valid keys", () => {
  it("authenticates from the header and tells the upstream who the consumer is", async () => {
    const r = await send(gw.proxyUrl, "/plain", { headers: { apikey: "kong" } });
    expect(r.status).toBe(200);
    const seen = r.upstream().headers;
    expect(seen["x-consumer-id"]).toBe(BOB_ID);
    expect(seen["x-consumer-username"]).toBe("bob");
    expect(seen["x-consumer-custom-id"]).toBe("bob-custom");
    expect(seen["x-credential-identifier"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen["x-anonymous-consumer"]).toBeUndefined();
    expect(seen.apikey).toBe("kong");
  });

  it("authenticates from the query string", async () => {
    const r = await send(gw.proxyUrl, "/plain?apikey=alice-key");
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-username"]).toBe("alice");
    expect(r.upstream().url).toContain("apikey=alice-key");
  });

  it("replaces spoofed consumer headers and clears the ones the consumer has no value for", async () => {
    const r = await send(gw.proxyUrl, "/plain", {
      headers: {
        apikey: "alice-key",
        "x-consumer-id": "spoofed",
        "x-consumer-custom-id": "spoofed",
        "x-anonymous-consumer": "true",
      },
    });
    const seen = r.upstream().headers;
    expect(seen["x-consumer-id"]).not.toBe("spoofed");
    expect(seen["x-consumer-custom-id"]).toBeUndefined();
    expect(seen["x-anonymous-consumer"]).toBeUndefined();
  });

  it("looks through key_names in order, in headers only when key_in_query is false", async () => {
    const h = await send(gw.proxyUrl, "/names", { headers: { token: "kong" } });
    expect(h.status).toBe(200);
    expect(h.upstream().headers["x-consumer-username"]).toBe("bob");
    const q = await send(gw.proxyUrl, "/names?token=kong");
    expect(q.status).toBe(401);
    expect(q.json().message).toBe("No API key found in request");
  });

  it("finds a key name with underscores in the dashed header, as Kong normalizes", async () => {
    const dashed = await send(gw.proxyUrl, "/underscore", { headers: { "api-key": "kong" } });
    expect(dashed.status).toBe(200);
    expect((await send(gw.proxyUrl, "/underscore?api_key=kong")).status).toBe(200);
    expect((await send(gw.proxyUrl, "/underscore?api-key=kong")).status).toBe(401);
  });

  it("reads the key from form, JSON and multipart bodies when key_in_body is set", async () => {
    const form = await send(gw.proxyUrl, "/body", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "apikey=kong&x=1",
    });
    expect(form.status).toBe(200);
    expect(form.upstream().body).toBe("apikey=kong&x=1");
    const json = await send(gw.proxyUrl, "/body", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apikey: "alice-key" }),
    });
    expect(json.status).toBe(200);
    expect(json.upstream().headers["x-consumer-username"]).toBe("alice");
    const boundary = "XyZ";
    const multipart = await send(gw.proxyUrl, "/body", {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="apikey"\r\n\r\nkong\r\n--${boundary}--\r\n`,
    });
    expect(multipart.status).toBe(200);
    const wrong = await send(gw.proxyUrl, "/body", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apikey: "bad" }),
    });
    expect(wrong.status).toBe(401);
  });
});

describe("key-auth: hide_credentials", () => {
  it("removes the key from the header before proxying", async () => {
    const r = await send(gw.proxyUrl, "/hidden", { headers: { apikey: "kong", other: "kept" } });
    expect(r.status).toBe(200);
    expect(r.upstream().headers.apikey).toBeUndefined();
    expect(r.upstream().headers.other).toBe("kept");
  });

  it("removes the key from the query string", async () => {
    const r = await send(gw.proxyUrl, "/hidden?apikey=kong&a=1");
    expect(r.status).toBe(200);
    expect(r.upstream().url).toBe("/?a=1");
  });

  it("removes the key from a form body and fixes Content-Length", async () => {
    const r = await send(gw.proxyUrl, "/hidden", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "apikey=kong&foo=bar",
    });
    expect(r.status).toBe(200);
    expect(r.upstream().body).toBe("foo=bar");
    expect(r.upstream().headers["content-length"]).toBe("7");
  });
});

describe("key-auth: anonymous and preflight", () => {
  it("falls back to the anonymous consumer (by username) when no key is given", async () => {
    const r = await send(gw.proxyUrl, "/anon");
    expect(r.status).toBe(200);
    const seen = r.upstream().headers;
    expect(seen["x-consumer-id"]).toBe(ANON_ID);
    expect(seen["x-consumer-username"]).toBe("guest");
    expect(seen["x-anonymous-consumer"]).toBe("true");
    expect(seen["x-credential-identifier"]).toBeUndefined();
  });

  it("still authenticates real keys when anonymous is configured", async () => {
    const r = await send(gw.proxyUrl, "/anon", { headers: { apikey: "kong" } });
    expect(r.upstream().headers["x-consumer-username"]).toBe("bob");
    expect(r.upstream().headers["x-anonymous-consumer"]).toBeUndefined();
  });

  it("answers 500 when the anonymous consumer does not exist", async () => {
    const r = await send(gw.proxyUrl, "/anon-missing");
    expect(r.status).toBe(500);
    expect(r.json().message).toBe("anonymous consumer nobody is configured but doesn't exist");
  });

  it("lets OPTIONS through unauthenticated when run_on_preflight is false", async () => {
    const r = await send(gw.proxyUrl, "/preflight", { method: "OPTIONS" });
    expect(r.status).toBe(200);
    const plain = await send(gw.proxyUrl, "/plain", { method: "OPTIONS" });
    expect(plain.status).toBe(401);
  });
});
