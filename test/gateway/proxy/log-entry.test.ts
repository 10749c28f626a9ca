/** The lazy log-phase entry views: computed on first read, kept, serialized like plain objects. */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { LogRequestView, LogResponseView, requestSize } from "../../../src/gateway/proxy/log-entry.js";
import { BASE_LOG_REDACTION } from "../../../src/gateway/proxy/log-redaction.js";

/** One real request/response pair: `inspect` runs inside the server's handler. */
async function withExchange(inspect: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
  const server = createServer((req, res) => {
    try {
      inspect(req, res);
    } finally {
      res.end("ok");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  try {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          port,
          host: "127.0.0.1",
          path: "/items?apikey=secret&page=2",
          headers: { host: "api.example", apikey: "k", "x-trace": "t" },
          agent: false,
        },
        (res) => {
          res.resume();
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end();
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe("log entry views", () => {
  it("compute headers, query and size on first read, keep them, and serialize as Kong's shape", async () => {
    let json: unknown;
    let late: unknown;
    let same = false;
    let size = 0;
    let responseJson: unknown;
    await withExchange((req, res) => {
      const view = new LogRequestView(req, "id-1", "GET", "http", "apikey=secret&page=2", BASE_LOG_REDACTION);
      // nothing was copied at construction: a header added afterwards is seen on first read
      req.headers["x-late"] = "yes";
      late = view.headers["x-late"];
      const firstHeaders = view.headers;
      const firstQuery = view.querystring;
      same = firstHeaders === view.headers && firstQuery === view.querystring;
      size = view.size;
      json = JSON.parse(JSON.stringify(view));
      res.setHeader("set-cookie", "s=1");
      res.setHeader("x-out", "1");
      responseJson = JSON.parse(JSON.stringify(new LogResponseView(res, 200, 2, null, BASE_LOG_REDACTION)));
      expect(size).toBe(requestSize(req));
    });
    expect(late).toBe("yes");
    expect(same).toBe(true);
    expect(size).toBeGreaterThan(40);
    expect(json).toEqual({
      id: "id-1",
      method: "GET",
      uri: "/items?apikey=REDACTED&page=2",
      url: "http://api.example/items?apikey=REDACTED&page=2",
      size,
      querystring: { apikey: "REDACTED", page: "2" },
      headers: expect.objectContaining({
        host: "api.example",
        apikey: "REDACTED",
        "x-trace": "t",
        "x-late": "yes",
      }),
    });
    expect(responseJson).toEqual({
      status: 200,
      size: 2,
      headers: { "set-cookie": "REDACTED", "x-out": "1" },
    });
  });
});
