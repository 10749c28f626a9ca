import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoUpstream, startEchoUpstream } from "../support/gateway.js";

/**
 * The gateway as a package of its own: `gatestack/gateway` (package.json `exports`) names the built
 * entry, dist/gateway/index.js. A separate Node process imports it by that name from the repository
 * (a package resolves its own name through its exports map) — the built code, not the sources —
 * starts a gateway with it and proxies one request.
 */
const repo = new URL("../..", import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
  name: string;
  exports: Record<string, string>;
};

let upstream: EchoUpstream;
beforeAll(async () => {
  upstream = await startEchoUpstream();
});
afterAll(() => upstream.close());

/** Runs an ES module script in a fresh Node process from the repository; its stdout parsed as JSON. */
async function inNode<T>(script: string): Promise<T> {
  const r = await execa("node", ["--input-type=module", "-e", script], { cwd: repo, reject: false });
  if (r.exitCode !== 0) throw new Error(`node failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe("the package entry gatestack/gateway", () => {
  it("the exports map names the built gateway entry", async () => {
    expect(manifest.name).toBe("gatestack");
    expect(manifest.exports["./gateway"]).toBe("./dist/gateway/index.js");
    const resolved = await inNode<string>(
      `console.log(JSON.stringify(import.meta.resolve("gatestack/gateway")))`,
    );
    expect(resolved).toBe(pathToFileURL(join(repo, "dist/gateway/index.js")).href);
  });

  it("exports startGateway, the loggers and the error family", async () => {
    const names = await inNode<string[]>(
      `const m = await import("gatestack/gateway"); console.log(JSON.stringify(Object.keys(m).sort()))`,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        "startGateway",
        "jsonLogger",
        "silentLogger",
        "GatewayError",
        "isGatewayError",
        "ConfigInvalidError",
        "DatabaseUnavailableError",
        "ListenError",
        "GATESTACK_VERSION",
      ]),
    );
  });

  it("a gateway started from it proxies; an invalid configuration is refused with a GatewayError", async () => {
    const out = await inNode<{
      status: number;
      path: string;
      refused: { gateway: boolean; invalid: boolean; code: string; kong: number };
    }>(`
      const gw = await import("gatestack/gateway");
      const common = { proxyListen: { host: "127.0.0.1", port: 0 }, adminListen: null, statusListen: null,
        accessLog: false, logger: gw.silentLogger };
      const g = await gw.startGateway({ ...common, config: { _format_version: "3.0",
        services: [{ name: "echo", url: ${JSON.stringify(upstream.url)}, routes: [{ paths: ["/echo"] }] }] } });
      const r = await fetch(g.proxyUrl + "/echo/x");
      const body = await r.json();
      await g.close();
      const err = await gw.startGateway({ ...common, config: { _format_version: "3.0",
        services: [{ name: "x", port: "nope" }] } }).catch((e) => e);
      console.log(JSON.stringify({ status: r.status, path: body.path, refused: {
        gateway: gw.isGatewayError(err), invalid: err instanceof gw.ConfigInvalidError,
        code: err.code, kong: err.error?.code } }));
    `);
    expect(out.status).toBe(200);
    expect(out.path).toBe("/x");
    expect(out.refused).toEqual({ gateway: true, invalid: true, code: "E_GATEWAY_CONFIG", kong: 14 });
  });
});
