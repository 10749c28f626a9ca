import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpProbe } from "../../../src/health/probe/http.js";
import {
  type FaultServer,
  generateTestCerts,
  refusedPort,
  startFaultServer,
  startSilentServer,
  startTlsFaultServer,
  type TestCerts,
} from "../support/servers.js";

describe("httpProbe (host side, undici)", () => {
  let server: FaultServer;
  let tls: FaultServer;
  let silent: FaultServer;
  let certs: TestCerts;

  beforeAll(async () => {
    certs = generateTestCerts();
    [server, tls, silent] = await Promise.all([
      startFaultServer(),
      startTlsFaultServer(certs.selfSigned),
      startSilentServer(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([server.close(), tls.close(), silent.close()]);
    certs.cleanup();
  });

  it("returns status, headers, body and latency of an answer", async () => {
    const r = await httpProbe({ url: `${server.url}/ok`, timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: "ok" });
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.ms).toBeGreaterThan(0);
  });

  it("reports a wrong status as an answer, not an error", async () => {
    const r = await httpProbe({ url: `${server.url}/status/503`, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, status: 503 });
  });

  it("sends the Host header it is given (dial 127.0.0.1, name the site)", async () => {
    const r = await httpProbe({
      url: `${server.url}/echo`,
      headers: { host: "shop.localhost" },
      timeoutMs: 2000,
    });
    expect(r.ok && JSON.parse(r.body).headers.host).toBe("shop.localhost");
  });

  it("connection refused → code refused naming the address", async () => {
    const port = await refusedPort();
    const r = await httpProbe({ url: `http://127.0.0.1:${port}/`, timeoutMs: 2000 });
    expect(r).toMatchObject({
      ok: false,
      error: { code: "refused", message: `connection refused on 127.0.0.1:${port}` },
    });
  });

  it("a slow answer is cut at the timeout", async () => {
    const started = Date.now();
    const r = await httpProbe({ url: `${server.url}/slow?ms=3000`, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r).toMatchObject({ ok: false, error: { code: "timeout" } });
    expect(!r.ok && r.error.message).toContain("within 0.3 s");
  });

  it("a server that accepts and never answers is cut at the timeout", async () => {
    const r = await httpProbe({ url: `${silent.url}/`, timeoutMs: 300 });
    expect(r).toMatchObject({ ok: false, error: { code: "timeout" } });
  });

  it("a reset connection → code reset", async () => {
    const r = await httpProbe({ url: `${server.url}/reset`, timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, error: { code: "reset" } });
  });

  it("answers over HTTPS even with an untrusted certificate (trust is the TLS probe's job)", async () => {
    const r = await httpProbe({ url: `${tls.url}/ok`, servername: "localhost", timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: true, status: 200 });
  });

  it("keeps at most maxBodyBytes of the body", async () => {
    const r = await httpProbe({ url: `${server.url}/echo`, timeoutMs: 2000, maxBodyBytes: 10 });
    expect(r.ok && r.body.length).toBe(10);
  });
});
