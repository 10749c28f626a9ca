/**
 * hmac-auth through the running gateway against a real upstream (Kong's
 * spec/03-plugins/19-hmac-auth/03-access_spec.lua re-expressed): signatures over headers, the
 * request line and @request-target with the raw query string, clock skew with Date / X-Date,
 * enforce_headers, algorithms, body digests, hide_credentials, anonymous consumers, logical
 * AND / OR with key-auth, ACL groups after hmac-auth, and the log entry of a 401.
 */
import { createHash, createHmac } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway, until } from "../../support/gateway.js";
import { send } from "./_support.js";

const NOT_VALID = "HMAC signature cannot be verified";
const NOT_SAME = "HMAC signature does not match";
const DATE_REQUIRED =
  "HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication";
const ANONYMOUS_ID = "4d3b6a3e-3c59-4f79-9d0a-6d2a1f5b0c11";
const MISSING_ID = "9e1a2b3c-4d5e-4f60-8a7b-0c1d2e3f4a5b";

let upstream: EchoUpstream;
let gw: Gateway;
let dir: string;
let logFile: string;

/** The fields of a file-log line read here. */
interface LogEntry {
  request: { uri: string; headers: Record<string, string> };
  response: { status: number };
  consumer: { id: string; username: string };
  authenticated_entity?: { id: string; consumer_id: string };
  tries?: unknown[];
}

const httpDate = (offsetSeconds = 0) => new Date(Date.now() + offsetSeconds * 1000).toUTCString();

function sign(signing: string, algorithm = "sha1", secret = "secret"): string {
  return createHmac(algorithm, secret).update(signing).digest("base64");
}

function hmacHeader(fields: {
  username?: string;
  algorithm?: string;
  headers: string;
  signature: string;
}): string {
  return (
    `hmac username="${fields.username ?? "bob"}", algorithm="${fields.algorithm ?? "hmac-sha1"}", ` +
    `headers="${fields.headers}", signature="${fields.signature}"`
  );
}

/** `date: <date>` signed with hmac-sha1: the simplest valid Authorization. */
function dateAuth(date: string): string {
  return hmacHeader({ headers: "date", signature: sign(`date: ${date}`) });
}

beforeAll(async () => {
  upstream = await startEchoUpstream();
  dir = await mkdtemp(join(tmpdir(), "gatestack-hmac-"));
  logFile = join(dir, "log.jsonl");
  const route = (host: string, config: Record<string, unknown>, extra: object[] = []) => ({
    name: host.replaceAll(".", "-"),
    hosts: [host],
    plugins: [{ name: "hmac-auth", config }, ...extra],
  });
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [
      {
        name: "echo",
        url: upstream.url,
        routes: [
          route("hmacauth.test", { clock_skew: 3000, realm: "test-realm" }, [
            { name: "file-log", config: { path: logFile } },
          ]),
          route("hmacauth2.test", { clock_skew: 3000, anonymous: ANONYMOUS_ID }),
          route("hmacauth3.test", { clock_skew: 3000, anonymous: MISSING_ID }),
          route("hmacauth4.test", { clock_skew: 3000, validate_request_body: true }),
          route("hmacauth5.test", {
            clock_skew: 3000,
            enforce_headers: ["date", "request-line"],
            validate_request_body: true,
          }),
          route("hmacauth6.test", {
            clock_skew: 3000,
            enforce_headers: ["date", "request-line"],
            algorithms: ["hmac-sha1", "hmac-sha256"],
          }),
          route("hmacauth7.test", { clock_skew: 3000, anonymous: "no-body" }),
          route("hmacauth8.test", { hide_credentials: true }),
          route("skew.test", { clock_skew: 10 }),
          route("acl.test", {}, [{ name: "acl", config: { allow: ["admins"] } }]),
          {
            name: "and",
            hosts: ["and.test"],
            plugins: [{ name: "hmac-auth" }, { name: "key-auth" }],
          },
          {
            name: "or",
            hosts: ["or.test"],
            plugins: [
              { name: "hmac-auth", config: { anonymous: ANONYMOUS_ID } },
              { name: "key-auth", config: { anonymous: ANONYMOUS_ID } },
            ],
          },
        ],
      },
    ],
    consumers: [
      {
        username: "bob",
        custom_id: "1234",
        hmacauth_credentials: [{ username: "bob", secret: "secret" }],
        acls: [{ group: "admins" }],
      },
      {
        username: "alice",
        hmacauth_credentials: [{ username: "alice", secret: "alice-secret" }],
        keyauth_credentials: [{ key: "alice-key" }],
      },
      { id: ANONYMOUS_ID, username: "no-body" },
    ],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

const get = (host: string, path: string, headers: Record<string, string>, method = "GET", body?: string) =>
  send(gw.proxyUrl, path, { method, headers: { host, ...headers }, ...(body === undefined ? {} : { body }) });

describe("hmac-auth: refusals (401 with Kong's messages and WWW-Authenticate)", () => {
  it("without Authorization or Proxy-Authorization: Unauthorized, the realm in the challenge", async () => {
    const r = await get("hmacauth.test", "/request", { date: httpDate() });
    expect(r.status).toBe(401);
    expect(r.json().message).toBe("Unauthorized");
    expect(r.headers["www-authenticate"]).toBe('hmac realm="test-realm"');
  });

  it("without a realm the challenge is the bare scheme", async () => {
    const r = await get("hmacauth4.test", "/request", { date: httpDate(), authorization: "asd" });
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toBe("hmac");
  });

  it("a header that is no hmac signature, or lacks a field, cannot be verified", async () => {
    const date = httpDate();
    for (const authorization of [
      "asd",
      'hmac username="bob"',
      `hmac username="bob", algorithm="hmac-sha1", signature="${sign(`date: ${date}`)}"`,
      `hmac algorithm="hmac-sha1", headers="date", signature="${sign(`date: ${date}`)}"`,
      `hmac username="bob", algorithm="hmac-sha1", headers="date"`,
      `hmac username="bob", algorithm="hmac-sha1", header="date", signature="${sign(`date: ${date}`)}"`,
      `hmac username="bob", algorithm="hmac-sha1", headers="date", signatur="${sign(`date: ${date}`)}"`,
    ]) {
      const r = await get("hmacauth.test", "/request", { date, authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.json().message, authorization).toBe(NOT_VALID);
      expect(r.headers["www-authenticate"]).toBe('hmac realm="test-realm"');
    }
  });

  it("an unknown username cannot be verified; a wrong or non-base64 signature does not match", async () => {
    const date = httpDate();
    const unknown = hmacHeader({ username: "mallory", headers: "date", signature: sign(`date: ${date}`) });
    let r = await get("hmacauth.test", "/request", { date, authorization: unknown });
    expect([r.status, r.json().message]).toEqual([401, NOT_VALID]);
    const wrong = hmacHeader({ headers: "date", signature: sign(`date: ${date}`, "sha1", "other") });
    r = await get("hmacauth.test", "/request", { date, authorization: wrong });
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
    const garbage = hmacHeader({ headers: "date", signature: "not really a base64 encoded value!!!" });
    r = await get("hmacauth.test", "/request", { date, authorization: garbage });
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
  });

  it("a username signed for another credential's secret does not match", async () => {
    const date = httpDate();
    const r = await get("hmacauth.test", "/request", {
      date,
      authorization: hmacHeader({ username: "alice", headers: "date", signature: sign(`date: ${date}`) }),
    });
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
  });

  it("needs a valid Date or X-Date within clock_skew", async () => {
    const date = httpDate();
    let r = await get("hmacauth.test", "/request", { authorization: dateAuth(date) });
    expect([r.status, r.json().message]).toEqual([401, DATE_REQUIRED]);
    r = await get("hmacauth.test", "/request", { "x-date": "wrong date", authorization: dateAuth(date) });
    expect([r.status, r.json().message]).toEqual([401, DATE_REQUIRED]);
    const old = httpDate(-60);
    r = await get("skew.test", "/request", { date: old, authorization: dateAuth(old) });
    expect([r.status, r.json().message]).toEqual([401, DATE_REQUIRED]);
    const future = httpDate(60);
    r = await get("skew.test", "/request", { date: future, authorization: dateAuth(future) });
    expect(r.status).toBe(401);
  });

  it("an algorithm left out of `algorithms` cannot be verified", async () => {
    const date = httpDate();
    const signing = `date: ${date}\nGET /request HTTP/1.1`;
    const r = await get("hmacauth6.test", "/request", {
      date,
      authorization: hmacHeader({
        algorithm: "hmac-sha512",
        headers: "date request-line",
        signature: sign(signing, "sha512"),
      }),
    });
    expect([r.status, r.json().message]).toEqual([401, NOT_VALID]);
    const unknown = hmacHeader({
      algorithm: "hmac-md5",
      headers: "date",
      signature: sign(`date: ${date}`, "md5"),
    });
    const r2 = await get("hmacauth.test", "/request", { date, authorization: unknown });
    expect([r2.status, r2.json().message]).toEqual([401, NOT_VALID]);
  });

  it("a signature leaving out an enforced header cannot be verified", async () => {
    const date = httpDate();
    const r = await get("hmacauth5.test", "/request", { date, authorization: dateAuth(date) });
    expect([r.status, r.json().message]).toEqual([401, NOT_VALID]);
  });
});

describe("hmac-auth: valid signatures", () => {
  it("passes with Authorization, sends it and the consumer headers upstream", async () => {
    const date = httpDate();
    const authorization = dateAuth(date);
    const r = await get("hmacauth.test", "/request", { date, authorization });
    expect(r.status).toBe(200);
    const seen = r.upstream().headers;
    expect(seen.authorization).toBe(authorization);
    expect(seen["x-consumer-username"]).toBe("bob");
    expect(seen["x-consumer-custom-id"]).toBe("1234");
    expect(seen["x-credential-identifier"]).toBe("bob");
    expect(seen["x-consumer-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen["x-anonymous-consumer"]).toBeUndefined();
  });

  it("reads Proxy-Authorization first, and Authorization when Proxy-Authorization holds no signature", async () => {
    const date = httpDate();
    let r = await get("hmacauth.test", "/request", {
      date,
      "proxy-authorization": dateAuth(date),
      authorization: "hello",
    });
    expect(r.status).toBe(200);
    expect(r.upstream().headers.authorization).toBe("hello");
    r = await get(
      "hmacauth.test",
      "/request",
      { date, "proxy-authorization": "hmac username", authorization: dateAuth(date) },
      "POST",
    );
    expect(r.status).toBe(200);
    // a signature in Proxy-Authorization is the one checked, even when Authorization holds a valid one
    const wrong = hmacHeader({ headers: "date", signature: sign("other") });
    r = await get("hmacauth.test", "/request", {
      date,
      "proxy-authorization": wrong,
      authorization: dateAuth(date),
    });
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
  });

  it("signs any header list, a missing header as `name:`, with or without spaces between fields", async () => {
    const date = httpDate();
    const signing = `date: ${date}\ncontent-md5: md5\nx-missing:`;
    const signature = sign(signing);
    const r = await get("hmacauth.test", "/request", {
      date,
      "content-md5": "md5",
      authorization: `hmac username="bob",algorithm="hmac-sha1",headers="date content-md5 x-missing",signature="${signature}"`,
    });
    expect(r.status).toBe(200);
  });

  it("passes with X-Date when Date is malformed, and either may be signed", async () => {
    const date = httpDate();
    let r = await get("hmacauth.test", "/request", {
      "x-date": date,
      date: "wrong date",
      authorization: dateAuth("wrong date"),
    });
    expect(r.status).toBe(200);
    const xSigned = hmacHeader({ headers: "x-date", signature: sign("x-date: wrong date") });
    r = await get("hmacauth.test", "/request", { "x-date": "wrong date", date, authorization: xSigned });
    expect(r.status).toBe(200);
  });

  it("request-line and @request-target sign the method and the request URI as sent, raw query included", async () => {
    const date = httpDate();
    const line = (uri: string) => `date: ${date}\ncontent-md5: md5\nGET ${uri} HTTP/1.1`;
    const withLine = (uri: string) =>
      hmacHeader({ headers: "date content-md5 request-line", signature: sign(line(uri)) });
    for (const uri of [
      "/request",
      "/",
      "/request?name=foo",
      "/request/?name=foo",
      "/request?name=foo%20bar",
      "/request?name=foo%20b%C3%A1r",
      "/request?name=foo+bar&address=san%20francisco",
      "/request?name=foo&name=bar",
      "/request/some%20value/?name=foo&name=bar",
    ]) {
      const r = await get("hmacauth5.test", uri, {
        date,
        "content-md5": "md5",
        "proxy-authorization": withLine(uri),
      });
      expect(r.status, uri).toBe(200);
      expect(r.upstream().url, uri).toBe(uri);
    }
    // signed without the query the request carries: refused
    for (const [signed, sent] of [
      ["/request", "/request?name=foo"],
      ["/request/", "/request/?name=foo"],
      ["/request?name=foo%20bar", "/request?name=foo+bar"],
    ]) {
      const r = await get("hmacauth5.test", sent!, {
        date,
        "content-md5": "md5",
        "proxy-authorization": withLine(signed!),
      });
      expect(r.status, sent).toBe(401);
      expect(r.headers["www-authenticate"]).toBe("hmac");
    }
    const target = `date: ${date}\n@request-target: get /request?a=1`;
    const r = await get("hmacauth.test", "/request?a=1", {
      date,
      authorization: hmacHeader({ headers: "date @request-target", signature: sign(target) }),
    });
    expect(r.status).toBe(200);
  });

  it("an HTTP/1.0 request line is signed as HTTP/1.0", async () => {
    const date = httpDate();
    const signature = sign(`date: ${date}\nGET /request HTTP/1.0`);
    const authorization = hmacHeader({ headers: "date request-line", signature });
    const status = await new Promise<string>((resolve, reject) => {
      const u = new URL(gw.proxyUrl);
      const socket = connect(Number(u.port), u.hostname, () => {
        socket.write(
          `GET /request HTTP/1.0\r\nHost: hmacauth.test\r\nDate: ${date}\r\nAuthorization: ${authorization}\r\n\r\n`,
        );
      });
      let text = "";
      socket.on("data", (c: Buffer) => {
        text += c.toString("latin1");
      });
      socket.on("end", () => resolve(text.split("\r\n")[0]!));
      socket.on("error", reject);
    });
    expect(status).toBe("HTTP/1.1 200 OK");
  });

  it("hmac-sha256, hmac-sha384 and hmac-sha512 where allowed", async () => {
    const date = httpDate();
    const signing = `date: ${date}\nGET /request HTTP/1.1`;
    for (const [host, alg] of [
      ["hmacauth6.test", "sha256"],
      ["hmacauth.test", "sha384"],
      ["hmacauth.test", "sha512"],
      ["hmacauth6.test", "sha1"],
    ] as const) {
      const authorization = hmacHeader({
        algorithm: `hmac-${alg}`,
        headers: "date request-line",
        signature: sign(signing, alg),
      });
      const r = await get(host, "/request", { date, authorization });
      expect(r.status, `${host} ${alg}`).toBe(200);
    }
  });

  it("hide_credentials removes the signature header before proxying", async () => {
    const date = httpDate();
    let r = await get("hmacauth8.test", "/request", { date, authorization: dateAuth(date) });
    expect(r.status).toBe(200);
    expect(r.upstream().headers.authorization).toBeUndefined();
    r = await get("hmacauth8.test", "/request", {
      date,
      "proxy-authorization": dateAuth(date),
      authorization: "kept",
    });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["proxy-authorization"]).toBeUndefined();
    expect(r.upstream().headers.authorization).toBe("kept");
  });
});

describe("hmac-auth: validate_request_body (Digest: SHA-256=…)", () => {
  const body = '{"a":"apple","b":"ball"}';
  const digest = (text: string) => `SHA-256=${createHash("sha256").update(text).digest("base64")}`;

  it("a body without Digest does not match; no body without Digest passes", async () => {
    const date = httpDate();
    let r = await get("hmacauth4.test", "/request", { date, authorization: dateAuth(date) }, "POST", body);
    expect([r.status, r.json().message, r.headers["www-authenticate"]]).toEqual([401, NOT_SAME, "hmac"]);
    r = await get("hmacauth4.test", "/request", { date, authorization: dateAuth(date) });
    expect(r.status).toBe(200);
    r = await get("hmacauth4.test", "/request", { date, digest: digest(""), authorization: dateAuth(date) });
    expect(r.status).toBe(200);
  });

  it("the body's digest passes, signed or not; a tampered body or digest does not match", async () => {
    const date = httpDate();
    const signedDigest = hmacHeader({
      headers: "date digest",
      signature: sign(`date: ${date}\ndigest: ${digest(body)}`),
    });
    let r = await get(
      "hmacauth4.test",
      "/request",
      { date, digest: digest(body), authorization: signedDigest },
      "POST",
      body,
    );
    expect(r.status).toBe(200);
    expect(r.upstream().body).toBe(body);
    r = await get(
      "hmacauth4.test",
      "/request",
      { date, digest: digest(body), authorization: dateAuth(date) },
      "POST",
      body,
    );
    expect(r.status).toBe(200);
    r = await get(
      "hmacauth4.test",
      "/request",
      { date, digest: digest(body), authorization: signedDigest },
      "POST",
      `${body} `,
    );
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
    const tampered = digest("other");
    const signedTampered = hmacHeader({
      headers: "date digest",
      signature: sign(`date: ${date}\ndigest: ${tampered}`),
    });
    r = await get(
      "hmacauth4.test",
      "/request",
      { date, digest: tampered, authorization: signedTampered },
      "POST",
      body,
    );
    expect([r.status, r.json().message]).toEqual([401, NOT_SAME]);
  });
});

describe("hmac-auth: anonymous consumers, several auth plugins, ACL groups", () => {
  it("valid credentials win over anonymous", async () => {
    const date = httpDate();
    const r = await get("hmacauth2.test", "/request", { date, authorization: dateAuth(date) });
    expect(r.status).toBe(200);
    expect(r.upstream().headers["x-consumer-username"]).toBe("bob");
    expect(r.upstream().headers["x-credential-identifier"]).toBe("bob");
    expect(r.upstream().headers["x-anonymous-consumer"]).toBeUndefined();
  });

  it("invalid credentials become the anonymous consumer (by id or by username)", async () => {
    for (const host of ["hmacauth2.test", "hmacauth7.test"]) {
      const r = await get(host, "/request", { date: httpDate(), authorization: "asd" });
      expect(r.status, host).toBe(200);
      const seen = r.upstream().headers;
      expect(seen["x-anonymous-consumer"]).toBe("true");
      expect(seen["x-consumer-username"]).toBe("no-body");
      expect(seen["x-credential-identifier"]).toBeUndefined();
    }
  });

  it("an anonymous consumer that does not exist is a 500", async () => {
    const r = await get("hmacauth3.test", "/request", { date: httpDate() });
    expect(r.status).toBe(500);
    expect(r.json().message).toBe(`anonymous consumer ${MISSING_ID} is configured but doesn't exist`);
  });

  it("logical AND with key-auth: both credentials needed", async () => {
    const date = httpDate();
    const alice = hmacHeader({
      username: "alice",
      headers: "date",
      signature: sign(`date: ${date}`, "sha1", "alice-secret"),
    });
    let r = await get("and.test", "/request", { date, authorization: alice, apikey: "alice-key" });
    expect(r.status).toBe(200);
    r = await get("and.test", "/request", { date, apikey: "alice-key" });
    expect([r.status, r.headers["www-authenticate"]]).toEqual([401, "hmac"]);
    r = await get("and.test", "/request", { date, authorization: alice });
    expect([r.status, r.headers["www-authenticate"]]).toEqual([401, "Key"]);
  });

  it("logical OR with key-auth: either credential, else the anonymous consumer", async () => {
    const date = httpDate();
    let r = await get("or.test", "/request", { date, authorization: dateAuth(date), apikey: "alice-key" });
    expect(r.status).toBe(200);
    // key-auth (priority 1250) runs before hmac-auth (1030): its consumer stands, hmac-auth stops early
    expect(r.upstream().headers["x-consumer-username"]).toBe("alice");
    r = await get("or.test", "/request", { date, authorization: dateAuth(date) });
    expect(r.upstream().headers["x-consumer-username"]).toBe("bob");
    r = await get("or.test", "/request", { apikey: "alice-key" });
    expect(r.upstream().headers["x-consumer-username"]).toBe("alice");
    r = await get("or.test", "/request", {});
    expect(r.upstream().headers["x-consumer-id"]).toBe(ANONYMOUS_ID);
  });

  it("acl after hmac-auth reads the authenticated consumer's groups", async () => {
    const date = httpDate();
    let r = await get("acl.test", "/request", { date, authorization: dateAuth(date) });
    expect(r.status).toBe(200);
    const alice = hmacHeader({
      username: "alice",
      headers: "date",
      signature: sign(`date: ${date}`, "sha1", "alice-secret"),
    });
    r = await get("acl.test", "/request", { date, authorization: alice });
    expect(r.status).toBe(403);
    expect(r.json().message).toBe("You cannot consume this service");
  });
});

describe("hmac-auth: the log entry", () => {
  it("a 401 is logged with tries [] and no authenticated_entity; a pass with the credential; the signature redacted", async () => {
    const date = httpDate();
    const authorization = dateAuth(date);
    await get("hmacauth.test", "/denied", { date });
    await get("hmacauth.test", "/allowed", { date, authorization });
    let entries: LogEntry[] = [];
    await until(async () => {
      const text = await readFile(logFile, "utf8").catch(() => "");
      entries = text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as LogEntry);
      return entries.some((e) => e.request.uri === "/allowed");
    });
    const denied = entries.find((e) => e.request.uri === "/denied")!;
    expect(denied.response.status).toBe(401);
    expect(denied.tries).toEqual([]);
    expect(denied.authenticated_entity).toBeUndefined();
    const allowed = entries.find((e) => e.request.uri === "/allowed")!;
    expect(allowed.response.status).toBe(200);
    expect(allowed.tries).toHaveLength(1);
    expect(allowed.consumer.username).toBe("bob");
    expect(allowed.authenticated_entity).toEqual({
      id: expect.any(String),
      consumer_id: allowed.consumer.id,
    });
    const text = await readFile(logFile, "utf8");
    expect(text).not.toContain(authorization);
    expect(allowed.request.headers.authorization).not.toContain("signature");
  });
});

describe("hmac-auth: the Admin API (DB-less)", () => {
  it("lists the credentials with their secret redacted, in /consumers/{c}/hmac-auth, /hmac-auths and /config", async () => {
    const list = await send(gw.adminUrl!, "/consumers/bob/hmac-auth");
    expect(list.status).toBe(200);
    const data = list.json<{ data: Array<Record<string, unknown>> }>().data;
    expect(data).toEqual([
      expect.objectContaining({
        username: "bob",
        secret: "[REDACTED]",
        consumer: { id: expect.any(String) },
      }),
    ]);
    const all = await send(gw.adminUrl!, "/hmac-auths");
    expect(all.json<{ data: unknown[] }>().data).toHaveLength(2);
    const config = await send(gw.adminUrl!, "/config");
    expect(config.body).toContain("hmacauth_credentials");
    expect(config.body).not.toContain("alice-secret");
  });
});
