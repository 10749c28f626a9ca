/** Services with protocol https: TLS to the upstream, SNI = the service host, certificates not verified (Kong's default). */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { rawRequest, startTestGateway } from "../../support/gateway.js";

const dir = mkdtempSync(join(tmpdir(), "gw-tls-"));
let server: ReturnType<typeof createServer>;
let gw: Gateway;
const seen: Array<{ servername: string | false | null | undefined; host: string | undefined }> = [];

beforeAll(async () => {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "cert.pem"),
    ],
    { stdio: "ignore" },
  );
  server = createServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
    (req, res) => {
      seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host });
      res.end("over tls");
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  gw = await startTestGateway({
    _format_version: "3.0",
    services: [{ name: "tls", url: `https://localhost:${port}`, routes: [{ paths: ["/"] }] }],
  });
});

afterAll(async () => {
  await gw?.close();
  await new Promise((r) => server?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

it("proxies to an https upstream with the service host as SNI and Host", async () => {
  const res = await rawRequest(gw.proxyUrl, "/x");
  expect(res.status).toBe(200);
  expect(res.body).toBe("over tls");
  const port = (server.address() as AddressInfo).port;
  expect(seen[0]).toEqual({ servername: "localhost", host: `localhost:${port}` });
});
