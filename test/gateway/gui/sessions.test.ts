/**
 * The manager's sessions across gateway replicas (issue 15): a cookie is an HMAC-signed, expiring
 * token keyed from the admin token, so two real gateways started with the same token (as replicas
 * behind Caddy are) accept each other's sessions, and nothing else does.
 */
import { describe, expect, it } from "vitest";
import { SessionTokens } from "../../../src/gateway/gui/sessions.js";
import { cleanupsAfterEach } from "../../support/cleanups.js";
import { jsonOf, login, managerGateway, TOKEN } from "./_support.js";

const cleanups = cleanupsAfterEach();

const sessionOn = (guiUrl: string, cookie: string) =>
  jsonOf(fetch(`${guiUrl}/session`, { headers: { cookie } }));
const overviewStatus = async (guiUrl: string, cookie: string) =>
  (await fetch(`${guiUrl}/gui-api/overview`, { headers: { cookie } })).status;
const logout = (guiUrl: string, cookie: string, csrf: string) =>
  fetch(`${guiUrl}/logout`, { method: "POST", headers: { cookie, "x-csrf-token": csrf } });

describe("gateway manager: sessions across replicas", () => {
  it("a cookie issued by one gateway is a session on another with the same admin token, CSRF token included", async () => {
    const a = await managerGateway(cleanups);
    const b = await managerGateway(cleanups);
    const { cookie, csrf } = await login(a.guiUrl);
    expect(cookie).not.toContain(TOKEN);

    const onB = await sessionOn(b.guiUrl, cookie);
    expect(onB).toMatchObject({ authenticated: true, csrfToken: csrf });
    expect(await overviewStatus(b.guiUrl, cookie)).toBe(200);

    // the CSRF token from A passes B's check: B's logout answers 204, not 403
    const out = await logout(b.guiUrl, cookie, csrf);
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^gatestack_session=; .*Max-Age=0/);
    expect(await overviewStatus(b.guiUrl, cookie)).toBe(401);
    // the documented limit of stateless sessions: A did not hear of B's logout, so a copy of the
    // cookie taken before it lasts there until its idle window runs out
    expect(await overviewStatus(a.guiUrl, cookie)).toBe(200);
  });

  it("a gateway with another admin token refuses the cookie", async () => {
    const a = await managerGateway(cleanups);
    const other = await managerGateway(cleanups, undefined, { adminToken: "another-admin-token-entirely" });
    const { cookie } = await login(a.guiUrl);
    expect(await sessionOn(other.guiUrl, cookie)).toMatchObject({ authenticated: false, csrfToken: null });
    expect(await overviewStatus(other.guiUrl, cookie)).toBe(401);
  });

  it("refuses an expired cookie, though signed with the right key", async () => {
    const gw = await managerGateway(cleanups);
    const nineHoursAgo = Date.now() - 9 * 60 * 60 * 1000;
    const past = new SessionTokens(TOKEN, { now: () => nineHoursAgo });
    expect(await overviewStatus(gw.guiUrl, `gatestack_session=${past.create().value}`)).toBe(401);

    // idle: 31 minutes without a request, within the absolute lifetime
    const idle = new SessionTokens(TOKEN, { now: () => Date.now() - 31 * 60 * 1000 });
    expect(await overviewStatus(gw.guiUrl, `gatestack_session=${idle.create().value}`)).toBe(401);
    // and one made a moment ago by the same means is accepted
    const fresh = new SessionTokens(TOKEN);
    expect(await overviewStatus(gw.guiUrl, `gatestack_session=${fresh.create().value}`)).toBe(200);
  });

  it("refuses a tampered cookie: another id, a later expiry, a changed MAC", async () => {
    const gw = await managerGateway(cleanups);
    const { cookie } = await login(gw.guiUrl);
    const value = cookie.slice("gatestack_session=".length);
    const [v, id, issued, idle, mac] = value.split(".") as [string, string, string, string, string];
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    const tampered = [
      [v, flip(id), issued, idle, mac],
      [v, id, issued, String(Number(idle) + 60 * 60 * 1000), mac],
      [v, id, String(Number(issued) + 1), idle, mac],
      [v, id, issued, idle, flip(mac)],
      ["v2", id, issued, idle, mac],
    ].map((parts) => `gatestack_session=${parts.join(".")}`);
    for (const bad of tampered) expect(await overviewStatus(gw.guiUrl, bad)).toBe(401);
    expect(await overviewStatus(gw.guiUrl, cookie)).toBe(200);
  });

  it("refuses the CSRF token of another session", async () => {
    const a = await managerGateway(cleanups);
    const b = await managerGateway(cleanups);
    const first = await login(a.guiUrl);
    const second = await login(b.guiUrl);
    expect(second.csrf).not.toBe(first.csrf);
    expect((await logout(a.guiUrl, first.cookie, second.csrf)).status).toBe(403);
    expect((await logout(b.guiUrl, first.cookie, second.csrf)).status).toBe(403);
    expect((await logout(b.guiUrl, first.cookie, first.csrf)).status).toBe(204);
  });

  it("scopes the cookie to the published prefix a trusted proxy names (Caddy's /gateway)", async () => {
    const gw = await managerGateway(cleanups, undefined, { trustedIps: ["127.0.0.1"] });
    const res = await fetch(`${gw.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-prefix": "/gateway" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(res.headers.get("set-cookie")).toMatch(/; Path=\/gateway(;|$)/);

    const untrusted = await managerGateway(cleanups);
    const direct = await fetch(`${untrusted.guiUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-prefix": "/gateway" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(direct.headers.get("set-cookie")).toMatch(/; Path=\/(;|$)/);
  });

  it("re-issues the cookie of a session in use with a later idle expiry", async () => {
    const gw = await managerGateway(cleanups);
    const twoMinutesAgo = Date.now() - 2 * 60 * 1000;
    const old = new SessionTokens(TOKEN, { now: () => twoMinutesAgo }).create();
    const res = await fetch(`${gw.guiUrl}/gui-api/overview`, {
      headers: { cookie: `gatestack_session=${old.value}` },
    });
    expect(res.status).toBe(200);
    const renewed = res.headers.get("set-cookie")!;
    expect(renewed).toMatch(/^gatestack_session=v1\./);
    const idle = Number(renewed.split(";")[0]!.split(".")[3]);
    expect(idle).toBeGreaterThan(old.session.idleExpiresAt);
    expect(renewed.split(".")[1]).toBe(old.session.id);
  });
});
