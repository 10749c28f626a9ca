import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assessCertificate, formatDaysLeft, probeCertificate } from "../../../src/health/probe/tls.js";
import {
  type FaultServer,
  generateTestCerts,
  refusedPort,
  startSilentServer,
  startTlsFaultServer,
  type TestCerts,
} from "../support/servers.js";

/** Certificates generated at test time with the openssl CLI; real TLS servers on 127.0.0.1. */
describe("certificate probe", () => {
  let certs: TestCerts;
  const servers: Record<string, FaultServer> = {};

  beforeAll(async () => {
    certs = generateTestCerts();
    const entries = await Promise.all(
      (["leaf", "selfSigned", "wrongHost", "expired", "expiringSoon"] as const).map(
        async (k) => [k, await startTlsFaultServer(certs[k])] as const,
      ),
    );
    for (const [k, s] of entries) servers[k] = s;
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
    certs.cleanup();
  });

  const probe = (name: string, ca?: string) =>
    probeCertificate({
      host: "127.0.0.1",
      port: servers[name]!.port,
      servername: "localhost",
      timeoutMs: 2000,
      ...(ca ? { ca } : {}),
    });

  it("a certificate from the expected local CA is ok, with issuer and time left", async () => {
    const r = await probe("leaf", certs.ca.cert);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.cert).toMatchObject({
      issuer: "Test Local Authority",
      trusted: true,
      hostnameMatches: true,
      selfSigned: false,
    });
    const a = assessCertificate(r.cert, "localhost", { trust: "internal" });
    expect(a.status).toBe("ok");
    expect(a.detail).toMatch(/^issuer Test Local Authority, expires in (19|20) days/);
    expect(a.daysLeft).toBeGreaterThan(19);
  });

  it("the same certificate is not publicly trusted: fail when the site must be public", async () => {
    const r = await probe("leaf");
    expect(r.ok && r.cert.trusted).toBe(false);
    if (!r.ok) return;
    const a = assessCertificate(r.cert, "localhost", { trust: "public" });
    expect(a.status).toBe("fail");
    expect(a.reason).toMatch(
      /not publicly trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to get local issuer/i,
    );
  });

  it("self-signed: fail for a public site, warn where Caddy's internal CA is expected", async () => {
    const r = await probe("selfSigned");
    if (!r.ok) throw new Error("handshake failed");
    expect(r.cert.selfSigned).toBe(true);
    expect(assessCertificate(r.cert, "localhost", { trust: "public" })).toMatchObject({
      status: "fail",
      reason: expect.stringContaining("SELF_SIGNED"),
    });
    expect(assessCertificate(r.cert, "localhost", { trust: "internal" })).toMatchObject({
      status: "warn",
      reason: expect.stringContaining("self-signed"),
    });
  });

  it("wrong host: fail naming what the certificate names", async () => {
    const r = await probe("wrongHost", certs.ca.cert);
    if (!r.ok) throw new Error("handshake failed");
    expect(r.cert.hostnameMatches).toBe(false);
    const a = assessCertificate(r.cert, "localhost", { trust: "internal" });
    expect(a.status).toBe("fail");
    expect(a.reason).toBe("certificate does not name localhost (it names other.example)");
  });

  it("expired: fail with the expiry date, even from the right CA", async () => {
    const r = await probe("expired", certs.ca.cert);
    if (!r.ok) throw new Error("handshake failed");
    expect(r.cert.trusted).toBe(false);
    expect(r.cert.trustError).toBe("CERT_HAS_EXPIRED");
    const a = assessCertificate(r.cert, "localhost", { trust: "internal" });
    expect(a.status).toBe("fail");
    expect(a.reason).toMatch(/^certificate for localhost expired on \d{4}-\d{2}-\d{2}$/);
    expect(a.detail).toMatch(/expired 1\d days ago/);
  });

  it("expiring soon and not renewed: warn", async () => {
    const r = await probe("expiringSoon", certs.ca.cert);
    if (!r.ok) throw new Error("handshake failed");
    const a = assessCertificate(r.cert, "localhost", { trust: "internal" });
    expect(a.status).toBe("warn");
    expect(a.reason).toContain("expires soon");
  });

  it("a short-lived internal certificate with most of its life left is ok (Caddy's 12 h leaves)", async () => {
    const r = await probe("leaf", certs.ca.cert);
    if (!r.ok) throw new Error("handshake failed");
    const twelveHours = {
      ...r.cert,
      validFrom: new Date(Date.now() - 3_600_000),
      validTo: new Date(Date.now() + 11 * 3_600_000),
    };
    expect(assessCertificate(twelveHours, "localhost", { trust: "internal" })).toMatchObject({
      status: "ok",
    });
    const almostOut = {
      ...twelveHours,
      validTo: new Date(Date.now() + 600_000),
      validFrom: new Date(Date.now() - 11.8 * 3_600_000),
    };
    expect(assessCertificate(almostOut, "localhost", { trust: "internal" }).status).toBe("warn");
  });

  it("connection refused and a silent server are probe errors", async () => {
    const port = await refusedPort();
    const refused = await probeCertificate({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      timeoutMs: 1000,
    });
    expect(refused).toMatchObject({ ok: false, error: { code: "refused" } });
    const silent = await startSilentServer();
    try {
      const r = await probeCertificate({
        host: "127.0.0.1",
        port: silent.port,
        servername: "localhost",
        timeoutMs: 300,
      });
      expect(r).toMatchObject({ ok: false, error: { code: "timeout" } });
    } finally {
      await silent.close();
    }
  });

  it("formats time left in days, hours or minutes", () => {
    expect(formatDaysLeft(30.4)).toBe("expires in 30 days");
    expect(formatDaysLeft(0.5)).toBe("expires in 12 h");
    expect(formatDaysLeft(0.01)).toBe("expires in 14 min");
    expect(formatDaysLeft(-3)).toBe("expired 3 days ago");
  });
});
