/**
 * request-size-limiting through the running gateway (Kong's
 * spec/03-plugins/12-request-size-limiting re-expressed): Content-Length and chunked
 * bodies, every size unit at its boundary, 417 with Expect: 100-continue, 411 when a
 * Content-Length is required.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";

interface Reply {
  status: number;
  body: string;
}

/** POST with node:http: a Content-Length body, or chunked (two chunks) when `chunked`. */
function post(
  base: string,
  path: string,
  body: Buffer,
  opts: { chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const headers: Record<string, string> = { ...opts.headers };
    if (!opts.chunked) headers["content-length"] = String(body.length);
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", (err) => {
      // the gateway may answer early and close while the body is still being sent
      if (
        (err as NodeJS.ErrnoException).code !== "EPIPE" &&
        (err as NodeJS.ErrnoException).code !== "ECONNRESET"
      ) {
        reject(err);
      }
    });
    if (opts.chunked) {
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else {
      req.end(body);
    }
  });
}

const MB = 1024 * 1024;
const UNITS = { bytes: 1, kilobytes: 1024, megabytes: MB } as const;
const TEST_SIZE = 2;

let upstream: EchoUpstream;
let gw: Awaited<ReturnType<typeof startTestGateway>>;

beforeAll(async () => {
  upstream = await startEchoUpstream({
    // answer with the received size only (bodies here are megabytes)
    handler: (_req, res, body) => {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ received: body.length }));
      return true;
    },
  });
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [
      {
        name: "svc",
        url: upstream.url,
        routes: [
          {
            name: "default-unit",
            paths: ["/limit"],
            plugins: [{ name: "request-size-limiting", config: { allowed_payload_size: TEST_SIZE } }],
          },
          ...Object.keys(UNITS).map((unit) => ({
            name: `unit-${unit}`,
            paths: [`/unit/${unit}`],
            plugins: [
              { name: "request-size-limiting", config: { allowed_payload_size: TEST_SIZE, size_unit: unit } },
            ],
          })),
          {
            name: "require-cl",
            paths: ["/require"],
            plugins: [
              {
                name: "request-size-limiting",
                config: { allowed_payload_size: 1, size_unit: "kilobytes", require_content_length: true },
              },
            ],
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await gw.close();
  await upstream.close();
});

const TOO_LARGE = "Request size limit exceeded";

describe("request-size-limiting with Content-Length", () => {
  it("passes a body of exactly the limit (2 megabytes by default unit)", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB, "a"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).received).toBe(TEST_SIZE * MB);
  });

  it("passes with Expect: 100-continue when under the limit", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB, "a"), {
      headers: { expect: "100-continue" },
    });
    expect(res.status).toBe(200);
  });

  it("answers 413 beyond the limit", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB + 1, "a"));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).message).toBe(TOO_LARGE);
  });

  it("answers 417 beyond the limit when the client expects 100-continue", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB + 1, "a"), {
      headers: { expect: "100-continue" },
    });
    expect(res.status).toBe(417);
    expect(JSON.parse(res.body).message).toBe(TOO_LARGE);
  });

  for (const [unit, factor] of Object.entries(UNITS)) {
    it(`size_unit ${unit}: limit × ${factor} passes, one byte more is refused`, async () => {
      const ok = await post(gw.proxyUrl, `/unit/${unit}`, Buffer.alloc(TEST_SIZE * factor, "a"));
      expect(ok.status).toBe(200);
      const over = await post(gw.proxyUrl, `/unit/${unit}`, Buffer.alloc(TEST_SIZE * factor + 1, "a"));
      expect(over.status).toBe(413);
      expect(JSON.parse(over.body).message).toBe(TOO_LARGE);
    });
  }
});

describe("request-size-limiting without Content-Length (chunked)", () => {
  it("passes and forwards a chunked body of exactly the limit", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB, "b"), { chunked: true });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).received).toBe(TEST_SIZE * MB);
  });

  it("counts a chunked body as it streams and answers 413 beyond the limit", async () => {
    const before = upstream.requests.length;
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB + 1, "b"), { chunked: true });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).message).toBe(TOO_LARGE);
    expect(upstream.requests.length).toBe(before);
  });

  it("answers 417 for an oversized chunked body with Expect: 100-continue", async () => {
    const res = await post(gw.proxyUrl, "/limit", Buffer.alloc(TEST_SIZE * MB + 1, "b"), {
      chunked: true,
      headers: { expect: "100-continue" },
    });
    expect(res.status).toBe(417);
  });

  for (const [unit, factor] of Object.entries(UNITS)) {
    it(`size_unit ${unit}: chunked limit × ${factor} passes, one byte more is refused`, async () => {
      expect(
        (await post(gw.proxyUrl, `/unit/${unit}`, Buffer.alloc(TEST_SIZE * factor, "c"), { chunked: true }))
          .status,
      ).toBe(200);
      expect(
        (
          await post(gw.proxyUrl, `/unit/${unit}`, Buffer.alloc(TEST_SIZE * factor + 1, "c"), {
            chunked: true,
          })
        ).status,
      ).toBe(413);
    });
  }
});

describe("request-size-limiting require_content_length", () => {
  it("answers 411 without a Content-Length", async () => {
    const res = await post(gw.proxyUrl, "/require", Buffer.from("small"), { chunked: true });
    expect(res.status).toBe(411);
    expect(JSON.parse(res.body).message).toBe("A valid Content-Length header is required");
  });

  it("passes with a Content-Length under the limit and still limits the size", async () => {
    expect((await post(gw.proxyUrl, "/require", Buffer.from("small"))).status).toBe(200);
    expect((await post(gw.proxyUrl, "/require", Buffer.alloc(1025, "x"))).status).toBe(413);
  });
});
