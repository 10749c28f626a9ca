/**
 * response-transformer through the running gateway (Kong's
 * spec/03-plugins/15-response-transformer/*_spec.lua re-expressed): header operations,
 * JSON body operations with json_types, non-JSON bodies left alone.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { type EchoUpstream, startEchoUpstream, startTestGateway } from "../../support/gateway.js";
import { kongDoc, send } from "./_support.js";

let upstream: EchoUpstream;
let gw: Gateway;

const UPSTREAM_JSON = { keep: "k", drop: "d", old: "o", rep: "r", list: "one", off: false };

const rt = (name: string, config: Record<string, unknown>) => ({
  name,
  paths: [`/${name}`],
  plugins: [{ name: "response-transformer", config }],
});

/** `/json/stream`: a text download whose second half waits for the test. */
const held = { ended: false, release: (): void => undefined };

beforeAll(async () => {
  upstream = await startEchoUpstream({
    handler: (req, res) => {
      if (req.url?.includes("stream")) {
        held.ended = false;
        res.writeHead(200, { "content-type": "text/csv" });
        res.write("a,b\n".repeat(50_000));
        held.release = () => {
          held.release = () => undefined;
          held.ended = true;
          res.end("c,d\n");
        };
        return true;
      }
      const text = req.url?.includes("text")
        ? "plain text: drop"
        : req.url?.includes("broken")
          ? "{not json"
          : JSON.stringify(UPSTREAM_JSON);
      res.writeHead(200, {
        "content-type": req.url?.includes("text") ? "text/plain" : "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
        "x-remove-me": "1",
        "x-old-name": "v",
        "x-replace": "orig",
        "x-multi": "a",
      });
      res.end(text);
      return true;
    },
  });
  gw = await startTestGateway(
    kongDoc(upstream.url, [
      rt("headers", {
        remove: { headers: ["x-remove-me"] },
        rename: { headers: ["x-old-name:x-new-name"] },
        replace: { headers: ["x-replace:replaced", "x-absent:never"] },
        add: { headers: ["x-added:yes", "x-replace:not-added"] },
        append: { headers: ["x-multi:b"] },
      }),
      rt("json", {
        remove: { json: ["drop"] },
        rename: { json: ["old:new"] },
        replace: { json: ["rep:2", "missing:x", "off:true"], json_types: ["number", "string", "boolean"] },
        add: {
          json: ["added:true", "keep:not-added", "num:1.5"],
          json_types: ["boolean", "string", "number"],
        },
        append: { json: ["list:two", "fresh:v"] },
      }),
      rt("order", { remove: { json: ["keep"] }, add: { json: ["keep:re-added"] } }),
      {
        name: "on-exit",
        paths: ["/on-exit"],
        plugins: [
          { name: "key-auth" },
          { name: "response-transformer", config: { add: { headers: ["x-exit:1"] } } },
        ],
      },
    ]),
  );
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("response-transformer", () => {
  it("removes, renames, replaces, adds and appends response headers", async () => {
    const r = await send(gw.proxyUrl, "/headers");
    expect(r.status).toBe(200);
    expect(r.headers["x-remove-me"]).toBeUndefined();
    expect(r.headers["x-old-name"]).toBeUndefined();
    expect(r.headers["x-new-name"]).toBe("v");
    expect(r.headers["x-replace"]).toBe("replaced");
    expect(r.headers["x-absent"]).toBeUndefined();
    expect(r.headers["x-added"]).toBe("yes");
    expect(r.headers["x-multi"]).toEqual(["a", "b"]);
    expect(r.json()).toEqual(UPSTREAM_JSON);
  });

  it("transforms JSON bodies with json_types and a correct Content-Length", async () => {
    const r = await send(gw.proxyUrl, "/json");
    expect(r.json()).toEqual({
      keep: "k",
      new: "o",
      rep: 2,
      list: ["one", "two"],
      off: false,
      added: true,
      num: 1.5,
      fresh: "v",
    });
    const length = r.headers["content-length"];
    if (length !== undefined) expect(Number(length)).toBe(Buffer.byteLength(r.body));
  });

  it("runs remove before add", async () => {
    expect((await send(gw.proxyUrl, "/order")).json().keep).toBe("re-added");
  });

  it("leaves non-JSON and unparsable bodies untouched", async () => {
    const text = await send(gw.proxyUrl, "/json/text");
    expect(text.body).toBe("plain text: drop");
    const broken = await send(gw.proxyUrl, "/json/broken");
    expect(broken.body).toBe("{not json");
  });

  it("streams non-JSON responses (only JSON bodies are buffered for the body operations)", async () => {
    const pending = fetch(`${gw.proxyUrl}/json/stream`);
    // were it buffered, nothing would arrive before the upstream finished: release it then
    const timer = setTimeout(() => held.release(), 1000);
    const reader = (await pending).body!.getReader();
    await reader.read();
    expect(held.ended).toBe(false); // bytes arrived before the upstream finished
    clearTimeout(timer);
    held.release();
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text.endsWith("c,d\n")).toBe(true);
  });

  it("also transforms responses produced by other plugins", async () => {
    const r = await send(gw.proxyUrl, "/on-exit");
    expect(r.status).toBe(401);
    expect(r.headers["x-exit"]).toBe("1");
  });
});
