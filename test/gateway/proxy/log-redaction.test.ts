/**
 * Credentials out of every log: the redaction itself, and every sink of a real gateway — the
 * stdout access log, file-log's file, http-log's receiver — fed with credentials in the query
 * string (base names and the names the configuration's key-auth / jwt plugins read) and in
 * headers, on a route without auth, on an authenticated route (upstream_uri) and on no route.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { credentialNames, LogRedaction } from "../../../src/gateway/proxy/log-redaction.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { rawRequest, startEchoUpstream, startTestGateway, until } from "../../support/gateway.js";

describe("LogRedaction", () => {
  const redaction = new LogRedaction(
    credentialNames([
      { name: "key-auth", config: { key_names: ["X-Tenant-Key"] } },
      { name: "jwt", config: { uri_param_names: ["session_token"], header_names: ["x-jwt"] } },
      { name: "cors", config: { key_names: ["not-a-credential"] } },
    ]),
  );

  it("replaces credential query values, keeps everything else byte for byte", () => {
    expect(redaction.query("a=1&apikey=k&jwt=t&b=%20x+y")).toBe("a=1&apikey=REDACTED&jwt=REDACTED&b=%20x+y");
    expect(redaction.query("a=1&flag&b")).toBe("a=1&flag&b");
    expect(redaction.query("")).toBe("");
  });

  it("counts the configured names, case-insensitively and percent-decoded as the plugins read them", () => {
    expect(redaction.query("x-tenant-key=1&X-TENANT-KEY=2&session%5Ftoken=3&not-a-credential=4")).toBe(
      "x-tenant-key=REDACTED&X-TENANT-KEY=REDACTED&session%5Ftoken=REDACTED&not-a-credential=4",
    );
    expect(new LogRedaction(credentialNames([])).query("session_token=3")).toBe("session_token=3");
  });

  it("targets, URLs, the querystring record and headers go through the same names", () => {
    expect(redaction.target("/p?session_token=s&x=1")).toBe("/p?session_token=REDACTED&x=1");
    expect(redaction.target("http://h/p?apikey=s")).toBe("http://h/p?apikey=REDACTED");
    expect(redaction.target("/p")).toBe("/p");
    expect(redaction.queryRecord("apikey=s&x=1&x=2")).toEqual({ apikey: "REDACTED", x: ["1", "2"] });
    expect(
      redaction.headers({
        authorization: "Bearer x",
        cookie: "s=1",
        accept: "*/*",
        "x-tenant-key": "k",
        "X-JWT": "t",
      }),
    ).toEqual({
      authorization: "REDACTED",
      cookie: "REDACTED",
      accept: "*/*",
      "x-tenant-key": "REDACTED",
      "X-JWT": "REDACTED",
    });
  });
});

describe("every log sink of a running gateway", () => {
  const cleanups = cleanupsAfterEach();

  it("never shows a query-string or header credential: access log, file-log, http-log", async () => {
    const upstream = await startEchoUpstream();
    const receiver = await startEchoUpstream();
    const dir = await mkdtemp(join(tmpdir(), "gw-redaction-"));
    cleanups.push(
      () => upstream.close(),
      () => receiver.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    const logFile = join(dir, "requests.log");
    const accessLines: string[] = [];
    const accessLog = new Writable({
      write(chunk, _enc, cb) {
        accessLines.push(...String(chunk).split("\n").filter(Boolean));
        cb();
      },
    });
    const gw = await startTestGateway(
      {
        _format_version: "3.0",
        consumers: [{ username: "ann", keyauth_credentials: [{ key: "SECRET-VALID-KEY" }] }],
        services: [
          {
            name: "s",
            url: upstream.url,
            routes: [
              { name: "open", paths: ["/open"] },
              {
                name: "keyed",
                paths: ["/keyed"],
                plugins: [{ name: "key-auth", config: { key_names: ["X-Tenant-Key"] } }],
              },
              {
                name: "tokens",
                paths: ["/tokens"],
                plugins: [{ name: "jwt", config: { uri_param_names: ["session_token"] } }],
              },
            ],
          },
        ],
        plugins: [
          { name: "file-log", config: { path: logFile } },
          { name: "http-log", config: { http_endpoint: `${receiver.url}/ingest` } },
        ],
      },
      { accessLog },
    );
    cleanups.push(() => gw.close());

    const sent = [
      // the open route: the names configured elsewhere in the configuration count too
      await rawRequest(
        gw.proxyUrl,
        "/open/a?apikey=SECRET-1&X-Tenant-Key=SECRET-2&session_token=SECRET-3&page=2",
        { headers: { "x-tenant-key": "SECRET-4", authorization: "Bearer SECRET-5" } },
      ),
      // authenticated by a query key that is proxied upstream (hide_credentials off): upstream_uri holds it
      await rawRequest(gw.proxyUrl, "/keyed/b?X-Tenant-Key=SECRET-VALID-KEY&page=2"),
      await rawRequest(gw.proxyUrl, "/nowhere?access_token=SECRET-6"),
    ];
    expect(sent.map((r) => r.status)).toEqual([200, 200, 404]);
    expect(upstream.requests[1]!.url).toBe("/b?X-Tenant-Key=SECRET-VALID-KEY&page=2");

    await until(() => accessLines.length === 3 && receiver.requests.length === 3);
    await until(async () => (await readFile(logFile, "utf8").catch(() => "")).split("\n").length > 3);
    const sinks = {
      "access log": accessLines.join("\n"),
      "file-log": await readFile(logFile, "utf8"),
      "http-log": receiver.requests.map((r) => r.body).join("\n"),
    };
    for (const [sink, text] of Object.entries(sinks)) {
      expect(text, sink).not.toMatch(/SECRET/);
      expect(text, sink).toContain("REDACTED");
      expect(text, sink).toContain("page=2");
    }
    const entries = sinks["file-log"]
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { request: Record<string, unknown>; upstream_uri: string });
    const open = entries.find((e) => String(e.request.uri).startsWith("/open"))!;
    expect(open.request.uri).toBe(
      "/open/a?apikey=REDACTED&X-Tenant-Key=REDACTED&session_token=REDACTED&page=2",
    );
    expect(open.request.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/open\/a\?apikey=REDACTED&/);
    expect(open.request.querystring).toEqual({
      apikey: "REDACTED",
      "X-Tenant-Key": "REDACTED",
      session_token: "REDACTED",
      page: "2",
    });
    expect(open.request.headers).toMatchObject({ "x-tenant-key": "REDACTED", authorization: "REDACTED" });
    const keyed = entries.find((e) => String(e.request.uri).startsWith("/keyed"))!;
    expect(keyed.upstream_uri).toBe("/b?X-Tenant-Key=REDACTED&page=2");
    expect(JSON.parse(accessLines[0]!)).toMatchObject({
      path: "/open/a",
      query: "apikey=REDACTED&X-Tenant-Key=REDACTED&session_token=REDACTED&page=2",
    });
  });
});
