/**
 * The gateway manager's login and sessions (issue 15 §1): a real gateway with its GUI listener on a
 * random loopback port, spoken to over HTTP.
 */
import { describe, expect, it } from "vitest";
import { SessionTokens } from "../../../src/gateway/gui/sessions.js";
import { LoginThrottle } from "../../../src/gateway/gui/throttle.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { jsonOf, login, managerGateway, SAMPLE, TOKEN } from "./_support.js";

const cleanups = cleanupsAfterEach();

describe("gateway manager: login", () => {
  it("accepts the right token (JSON: 204) and sets a session cookie with strict attributes", async () => {
    const gw = await managerGateway(cleanups, SAMPLE);
    const before = await jsonOf(fetch(`${gw.guiUrl}/session`));
    expect(before).toMatchObject({
      authenticated: false,
      loginRequired: true,
      csrfToken: null,
      mode: "db-less",
    });

    const res = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(res.status).toBe(204);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^gatestack_session=v1\.[A-Za-z0-9_-]{22}\.\d+\.\d+\.[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain("Secure");
    expect(cookie).not.toContain(TOKEN);

    const session = await jsonOf(
      fetch(`${gw.guiUrl}/session`, { headers: { cookie: cookie.split(";")[0]! } }),
    );
    expect(session).toMatchObject({ authenticated: true, loginRequired: true, readOnly: true });
    expect(session.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.readOnlyReason).toMatch(/^DB-less mode: /);
  });

  it("answers a form login with 303 to ./ and a wrong token with 401 Invalid token", async () => {
    const gw = await managerGateway(cleanups);
    const ok = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN }).toString(),
      redirect: "manual",
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("./");
    expect(ok.headers.get("set-cookie")).toMatch(/^gatestack_session=/);

    const bad = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: `${TOKEN}x` }),
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ message: "Invalid token" });
    expect(bad.headers.get("set-cookie")).toBeNull();
  });

  it("marks the cookie Secure when a trusted proxy says the request came over https", async () => {
    const gw = await managerGateway(cleanups, undefined, { trustedIps: ["127.0.0.1"] });
    const res = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(res.headers.get("set-cookie")).toContain("Secure");
  });

  it("slows repeated failures: the 6th wrong login in a minute is 429, and so is the right one then", async () => {
    const gw = await managerGateway(cleanups);
    const attempt = (token: string) =>
      fetch(`${gw.guiUrl}/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
    for (let i = 0; i < 5; i++) expect((await attempt("wrong")).status).toBe(401);
    const limited = await attempt("wrong");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await attempt(TOKEN)).status).toBe(429);
  });

  it("logout removes the session and clears the cookie", async () => {
    const gw = await managerGateway(cleanups);
    const { cookie, csrf } = await login(gw.guiUrl);
    const out = await fetch(`${gw.guiUrl}/logout`, {
      method: "POST",
      headers: { cookie, "x-csrf-token": csrf },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^gatestack_session=; .*Max-Age=0/);
    const after = await fetch(`${gw.guiUrl}/gui-api/overview`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });

  it("without a token (loopback only) needs no login", async () => {
    const gw = await managerGateway(cleanups, undefined, { adminToken: undefined });
    const session = await jsonOf(fetch(`${gw.guiUrl}/session`));
    expect(session).toMatchObject({ authenticated: true, loginRequired: false });
    expect((await fetch(`${gw.guiUrl}/gui-api/overview`)).status).toBe(200);
  });

  it("refuses a non-loopback manager without an admin token at start", async () => {
    await expect(
      managerGateway(cleanups, undefined, { adminToken: undefined, guiListen: { host: "0.0.0.0", port: 0 } }),
    ).rejects.toMatchObject({ place: "admin_gui_listen" });
  });
});

describe("gateway manager: session store and throttle", () => {
  it("ends a session after its idle time unless renewed, and at its absolute expiry regardless", () => {
    let now = 1_000_000;
    const tokens = new SessionTokens(TOKEN, {
      idleMs: 1000,
      maxAgeMs: 3000,
      renewAfterMs: 300,
      now: () => now,
    });
    const { value } = tokens.create();
    now += 900;
    const s = tokens.verify(value)!;
    expect(s).not.toBeNull();
    const renewed = tokens.renew(s)!;
    expect(renewed).not.toBeNull();
    now += 200; // 1100 after login: the first cookie's idle time is over, the renewed one's is not
    expect(tokens.verify(value)).toBeNull();
    expect(tokens.verify(renewed)).not.toBeNull();
    now += 20; // within renewAfterMs of the last renewal: nothing to re-issue
    expect(tokens.renew(tokens.verify(renewed)!)).toBeNull();
    let current = renewed;
    for (let i = 0; i < 2; i++) {
      now += 700;
      current = tokens.renew(tokens.verify(current)!)!;
    }
    expect(tokens.verify(current)!.idleExpiresAt).toBe(1_003_000); // capped at the absolute expiry
    now += 800;
    expect(tokens.verify(current)).toBeNull(); // 3320 after login: past both
  });

  it("refuses revoked sessions, remembering at most `maxRevoked` ids", () => {
    const tokens = new SessionTokens(TOKEN, { maxRevoked: 2 });
    const [a, b, c] = [tokens.create(), tokens.create(), tokens.create()];
    for (const x of [a, b, c]) tokens.revoke(x.session);
    expect(tokens.verify(b.value)).toBeNull();
    expect(tokens.verify(c.value)).toBeNull();
    expect(tokens.verify(a.value)).not.toBeNull(); // the oldest revocation was dropped
  });

  it("lets a client try again once its oldest failure leaves the window", () => {
    let now = 0;
    const t = new LoginThrottle({ limit: 2, windowMs: 10_000, now: () => now });
    t.failed("a");
    now = 5000;
    t.failed("a");
    expect(t.retryAfter("a")).toBe(5);
    expect(t.retryAfter("b")).toBe(0);
    now = 10_001;
    expect(t.retryAfter("a")).toBe(0);
  });
});
