/**
 * The gateway manager (issue 15 §1) in real Chromium (test/support/browser.ts): an in-process gateway
 * with its GUI listener on 127.0.0.1, real upstream HTTP servers, and — for the forms — a real
 * PostgreSQL in database mode. Every page is driven the way a person does it: through labelled
 * controls (accessibility queries), the keyboard where the test is about the keyboard.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { bootstrap } from "../../../src/gateway/store/postgres/migrations.js";
import { DEFAULT_POSTGRES } from "../../../src/gateway/store/postgres/settings.js";
import { webAssetsDir } from "../../../src/gateway/web-assets.js";
import { launchBrowser, newContext, pageErrors, screenshot } from "../../support/browser.js";
import {
  type EchoUpstream,
  rawRequest,
  replyWith,
  startEchoUpstream,
  startTestGateway,
  until,
} from "../../support/gateway.js";
import { startTestPostgres, type TestPostgres } from "../../support/postgres.js";

const TOKEN = "manager-test-token-0123456789";
const SECRET_KEY = "alice-secret-key-never-shown";
const LOOPBACK = { host: "127.0.0.1", port: 0 };

let browser: Browser;
const contexts: BrowserContext[] = [];
const errorsByPage = new Map<Page, string[]>();

beforeAll(async () => {
  // the pages come from dist/gui (npm run build); without it every page is the server's 503
  expect(webAssetsDir("gui"), "dist/gui is missing: run `npm run build`").not.toBeNull();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
/** HTTP statuses the current test provokes on purpose (Chromium logs each failed fetch as a console error). */
const provoked = new Set<number>();

afterEach(async () => {
  const pages = [...errorsByPage];
  errorsByPage.clear();
  for (const c of contexts.splice(0)) await c.close();
  const wanted = new Set(provoked);
  provoked.clear();
  // no page threw or logged an error, but for the refusals the test asked for
  for (const [page, errors] of pages) {
    const unexpected = errors.filter((e) => {
      const m = /the server responded with a status of (\d+)/.exec(e);
      return !(m && wanted.has(Number(m[1])));
    });
    expect(unexpected, `page errors on ${page.url()}`).toEqual([]);
  }
});

async function openPage(base: string): Promise<Page> {
  const context = await newContext(browser);
  contexts.push(context);
  const page = await context.newPage();
  errorsByPage.set(page, pageErrors(page));
  await page.goto(`${base}/`);
  return page;
}

async function signIn(page: Page, token = TOKEN): Promise<void> {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/**
 * The few DOM shapes the page-side functions below use: they run in Chromium, but this file is
 * compiled with the test tsconfig (no DOM lib), so they reach the page's globals through these.
 */
interface PageElement {
  type?: string;
  id: string;
  tagName: string;
  offsetParent: unknown;
  labels?: { length: number } | null;
  textContent: string | null;
  outerHTML: string;
  getAttribute(name: string): string | null;
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): Iterable<PageElement>; activeElement: PageElement | null };
  getComputedStyle(el: PageElement): { outlineStyle: string; outlineWidth: string };
}

/** One Tab stop inside a container: its place among the container's controls, Chromium's role and name for it. */
interface TabStop {
  /** index among the container's visible, enabled controls (DOM order); -1: focus is outside it */
  index: number;
  role: string;
  name: string;
  /** the named groups (fieldsets) around it, outermost first, as Chromium exposes them */
  groups: string[];
}

/**
 * From the focused control, Tab through the container `within` (a CSS selector) until focus leaves
 * it: every stop with the role and accessible name Chromium's own accessibility tree gives it (CDP
 * Accessibility.getPartialAXTree), and how many controls the container has.
 */
async function tabThrough(page: Page, within: string): Promise<{ stops: TabStop[]; controls: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Accessibility.enable");
  const here = async (): Promise<TabStop & { controls: number }> => {
    const where = await page.evaluate((sel) => {
      const doc = (globalThis as unknown as PageGlobals).document;
      const controls = [
        ...doc.querySelectorAll(
          `${sel} input, ${sel} select, ${sel} textarea, ${sel} button, ${sel} a[href]`,
        ),
      ].filter((e) => e.type !== "hidden" && e.offsetParent !== null && e.getAttribute("disabled") === null);
      return {
        index: doc.activeElement ? controls.indexOf(doc.activeElement) : -1,
        controls: controls.length,
      };
    }, within);
    const { result } = await cdp.send("Runtime.evaluate", { expression: "document.activeElement" });
    const { node: dom } = await cdp.send("DOM.describeNode", { objectId: result.objectId });
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", {
      objectId: result.objectId,
      fetchRelatives: true,
    });
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const node = nodes.find((n) => n.backendDOMNodeId === dom.backendNodeId);
    // the names of the groups (fieldsets, by their legends) the control sits in, outermost first
    const groups: string[] = [];
    for (let up = node?.parentId ? byId.get(node.parentId) : undefined; up; ) {
      if (up.role?.value === "group" && up.name?.value) groups.unshift(String(up.name.value));
      up = up.parentId ? byId.get(up.parentId) : undefined;
    }
    return {
      ...where,
      role: String(node?.role?.value ?? ""),
      name: String(node?.name?.value ?? ""),
      groups,
    };
  };
  const stops: TabStop[] = [];
  let at = await here();
  const controls = at.controls;
  for (let i = 0; i <= controls && at.index !== -1; i++) {
    stops.push({ index: at.index, role: at.role, name: at.name, groups: at.groups });
    await page.keyboard.press("Tab");
    at = await here();
  }
  await cdp.detach();
  return { stops, controls };
}

/** The page's focus, once a page change has moved it to the content (an effect run after paint). */
async function focusOnMain(page: Page): Promise<void> {
  await until(
    () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === "main"),
    5_000,
  );
}

/** The focused control's name as a button's is read: its aria-label, else its text. */
function focusedName(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as PageGlobals).document.activeElement;
    return (el?.getAttribute("aria-label") ?? el?.textContent ?? "").trim();
  });
}

/** Press Tab until the focused control is the one named `name` (aria-label or text); fails after `most` presses. */
async function tabTo(page: Page, name: string, most = 40): Promise<void> {
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    if ((await focusedName(page)) === name) return;
  }
  throw new Error(`Tab never reached ${JSON.stringify(name)}`);
}

/**
 * Every control of the container reached by Tab, once each, in order, each with an accessible name
 * that is unique within its groups.
 */
function expectAllReachedAndNamed({ stops, controls }: { stops: TabStop[]; controls: number }): void {
  expect(controls).toBeGreaterThan(1);
  expect(stops.map((s) => s.index)).toEqual([...Array(controls).keys()]);
  expect(stops.filter((s) => s.name.trim() === "")).toEqual([]);
  // a name used twice (`headers` under add and under remove) is told apart by the groups around it
  const heard = stops.map((s) => [...s.groups, s.name].join(" › "));
  expect(heard.filter((h, i) => heard.indexOf(h) !== i)).toEqual([]);
}

/** Form controls (visible) with no accessible label: none may exist. */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...(globalThis as unknown as PageGlobals).document.querySelectorAll("input, select, textarea, button")]
      .filter((e) => {
        if (e.type === "hidden" || e.offsetParent === null) return false;
        const named =
          (e.labels?.length ?? 0) > 0 ||
          (e.getAttribute("aria-label") ?? "") !== "" ||
          e.getAttribute("aria-labelledby") !== null ||
          (e.tagName === "BUTTON" && (e.textContent ?? "").trim() !== "");
        return !named;
      })
      .map((e) => e.outerHTML.slice(0, 120)),
  );
}

describe("the manager on a DB-less gateway", () => {
  let gw: Gateway;
  let gui: string;
  let orders: EchoUpstream;
  let victim: EchoUpstream;
  let survivor: EchoUpstream;

  beforeAll(async () => {
    orders = await startEchoUpstream();
    victim = await startEchoUpstream({ handler: replyWith("victim") });
    survivor = await startEchoUpstream({ handler: replyWith("survivor") });
    gw = await startTestGateway(
      {
        _format_version: "3.0",
        services: [
          {
            name: "orders",
            url: orders.url,
            routes: [
              {
                name: "orders-route",
                paths: ["/orders"],
                plugins: [{ name: "cors" }],
              },
            ],
            plugins: [{ name: "rate-limiting", config: { minute: 1000, policy: "local" } }],
          },
          { name: "pool-svc", host: "pool", routes: [{ name: "pool-route", paths: ["/pool"] }] },
        ],
        upstreams: [
          {
            name: "pool",
            healthchecks: {
              active: {
                http_path: "/health",
                timeout: 0.3,
                healthy: { interval: 0.1, successes: 1 },
                unhealthy: { interval: 0.1, tcp_failures: 1, timeouts: 1, http_failures: 1 },
              },
            },
            targets: [{ target: `127.0.0.1:${victim.port}` }, { target: `127.0.0.1:${survivor.port}` }],
          },
        ],
        consumers: [{ username: "alice", keyauth_credentials: [{ key: SECRET_KEY }] }],
        plugins: [{ name: "correlation-id" }],
      },
      { guiListen: LOOPBACK, adminToken: TOKEN },
    );
    gui = gw.guiUrl!;
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await Promise.all([orders?.close(), victim?.close(), survivor?.close()]);
  });

  it("refuses a wrong token, accepts the right one, and shows the services, their routes and the plugins applying", async () => {
    provoked.add(401);
    const page = await openPage(gui);
    await signIn(page, "not-the-token");
    await page.getByRole("alert").filter({ hasText: "Invalid token" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    await screenshot(page, "manager-login-refused");

    await signIn(page);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    await page.getByText("db-less", { exact: true }).first().waitFor();
    await page.getByText(gw.configHash!).waitFor(); // the overview's data, after the header's session
    expect(await page.getByText(gw.configHash!).count()).toBe(1);
    await screenshot(page, "manager-overview");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Services" }).click();
    await page.getByRole("heading", { name: "Service orders" }).waitFor();
    await page.getByRole("heading", { name: "Service pool-svc" }).waitFor();
    // DB-less: read-only, and it says why
    await page
      .getByRole("note")
      .filter({ hasText: "DB-less mode: the configuration comes from the declarative file" })
      .waitFor();
    expect(await page.getByRole("button", { name: "New service" }).count()).toBe(0);
    await screenshot(page, "manager-services");

    await page.getByRole("link", { name: "orders-route" }).click();
    await page.getByRole("heading", { name: "Route orders-route" }).waitFor();
    const table = page.getByRole("table", { name: /Plugins applying/ });
    await table.waitFor();
    // execution order: priority descending — correlation-id (100001), cors (2000), rate-limiting (910)
    const column = (n: number) => table.locator(`tbody tr td:nth-child(${n})`).allTextContents();
    expect(await column(2)).toEqual(["correlation-id", "cors", "rate-limiting"]);
    expect(await column(3)).toEqual(["100001", "2000", "910"]);
    expect(await column(4)).toEqual(["global", "route", "service"]);
    await screenshot(page, "manager-route-plugins");
  });

  it("lists consumers' credentials by kind and id, never the key", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Consumers" }).click();
    const row = page.getByRole("row", { name: /alice/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("key-auth");
    expect(await page.content()).not.toContain(SECRET_KEY);
    await screenshot(page, "manager-consumers");
  });

  it("shows the plugin catalogue with each plugin's config schema and defaults", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Plugins" }).click();
    await page.getByText("rate-limiting", { exact: true }).click();
    const schema = page.getByRole("table", { name: "Configuration of rate-limiting" });
    await schema.waitFor();
    const policy = schema.getByRole("row", { name: /^policy\b/ });
    expect(await policy.textContent()).toContain('"local"');
    await screenshot(page, "manager-plugin-catalogue");
  });

  it("shows a target's health change when its app stops", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Upstreams" }).click();
    const victimRow = page.locator(`tr[data-target="127.0.0.1:${victim.port}"]`);
    await victimRow.getByText("HEALTHY", { exact: true }).waitFor();
    await page
      .locator(`tr[data-target="127.0.0.1:${survivor.port}"]`)
      .getByText("HEALTHY", { exact: true })
      .waitFor();
    await screenshot(page, "manager-upstreams-healthy");

    await victim.close(); // the app stops: its port refuses, the active checks fail
    await victimRow.getByText("UNHEALTHY", { exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.locator(`tr[data-target="127.0.0.1:${survivor.port}"] .health`).textContent()).toBe(
      "HEALTHY",
    );
    await screenshot(page, "manager-upstreams-target-down");
  });

  it("follows the access-log tail, filtered by status", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Access log" }).click();
    await page.getByRole("status").filter({ hasText: "Tail: live" }).waitFor();

    const res = await rawRequest(gw.proxyUrl, "/orders/tail-check");
    expect(res.status).toBe(200);
    const log = page.getByRole("table", { name: "Requests through the gateway" });
    const row = log.getByRole("row", { name: /\/orders\/tail-check/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("orders-route");

    await page.getByLabel("Status").fill("404");
    await page.getByLabel("Status").press("Enter");
    await page.getByRole("status").filter({ hasText: "Tail: live; 0 requests" }).waitFor();
    await rawRequest(gw.proxyUrl, "/orders/still-200");
    await rawRequest(gw.proxyUrl, "/no-such-route");
    await log.getByRole("row", { name: /\/no-such-route/ }).waitFor();
    expect(await log.getByRole("row", { name: /still-200/ }).count()).toBe(0);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, "manager-log-tail");
  });

  it("works under a path prefix, as Caddy publishes it at /gateway/ (relative URLs only)", async () => {
    // a stand-in for Caddy's `handle_path /gateway/*`: strips the prefix, keeps Host (mock: no Caddy here)
    const target = new URL(gui);
    const prefixProxy = createServer((req, res) => {
      const url = req.url ?? "/";
      if (!url.startsWith("/gateway/")) {
        res.writeHead(404).end();
        return;
      }
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: url.slice("/gateway".length),
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => prefixProxy.listen(0, "127.0.0.1", resolve));
    const seen: string[] = [];
    try {
      const base = `http://127.0.0.1:${(prefixProxy.address() as AddressInfo).port}/gateway`;
      const context = await newContext(browser);
      contexts.push(context);
      const page = await context.newPage();
      errorsByPage.set(page, pageErrors(page));
      page.on("request", (r) => seen.push(new URL(r.url()).pathname));
      await page.goto(`${base}/`);
      await signIn(page);
      await page.getByRole("heading", { name: "Overview" }).waitFor();
      await page.getByRole("link", { name: "Services" }).click();
      await page.getByRole("heading", { name: "Service orders" }).waitFor();
      await screenshot(page, "manager-under-prefix");
    } finally {
      prefixProxy.closeAllConnections();
      await new Promise<void>((resolve) => prefixProxy.close(() => resolve()));
    }
    expect(seen.length).toBeGreaterThan(4);
    expect(seen.filter((p) => !p.startsWith("/gateway/"))).toEqual([]);
  });

  it("works from the keyboard alone: login, skip link, navigation, focus visible", async () => {
    const page = await openPage(gui);
    // the token field has focus on arrival; Enter submits
    await page.getByLabel("Admin token").waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id)).toBe(
      "login-token",
    );
    expect(await unlabelledControls(page)).toEqual([]);
    await page.keyboard.type(TOKEN);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Overview" }).waitFor();

    // the first Tab reaches the skip link, visibly
    await page.keyboard.press("Tab");
    const active = () =>
      page.evaluate(() => {
        const page = globalThis as unknown as PageGlobals;
        const el = page.document.activeElement;
        const style = el ? page.getComputedStyle(el) : null;
        return {
          text: el?.textContent?.trim() ?? "",
          id: el?.id ?? "",
          outline: style ? `${style.outlineStyle} ${style.outlineWidth}` : "",
        };
      });
    const skip = await active();
    expect(skip.text).toBe("Skip to content");
    expect(skip.outline).not.toMatch(/^none/);
    await page.keyboard.press("Enter");
    expect((await active()).id).toBe("main");

    // Tab order from the top: skip link, sign out, then the navigation
    await page.keyboard.press("Shift+Tab"); // back into the page's chrome
    let reached = "";
    for (let i = 0; i < 12 && reached !== "Upstreams"; i++) {
      await page.keyboard.press("Tab");
      reached = (await active()).text;
    }
    expect(reached).toBe("Upstreams");
    expect((await active()).outline).not.toMatch(/^none/);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Upstreams and targets" }).waitFor();
    // a new page: focus moves to its content (in an effect Preact runs after paint)
    await focusOnMain(page);
    await screenshot(page, "manager-keyboard");
  });
});

describe("the manager on a gateway in database mode", () => {
  let pg: TestPostgres;
  let gw: Gateway;
  let app: EchoUpstream;
  let gui: string;

  beforeAll(async () => {
    pg = await startTestPostgres();
    const settings = {
      ...DEFAULT_POSTGRES,
      host: pg.host,
      port: pg.port,
      user: pg.user,
      password: pg.password,
      database: await pg.createDatabase(),
      timeoutMs: 2000,
    };
    await bootstrap(settings);
    app = await startEchoUpstream({ handler: replyWith("from-the-app") });
    gw = await startTestGateway(undefined, {
      database: { postgres: settings },
      guiListen: LOOPBACK,
      adminToken: TOKEN,
    });
    gui = gw.guiUrl!;
    const created = await fetch(`${gw.adminUrl}/services`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "shop", url: app.url }),
    });
    expect(created.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await app?.close();
    await pg?.destroy();
  });

  it("creates a route through the generated form, Kong's validation error beside its field, and the route proxies", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Services" }).click();
    await page.getByRole("heading", { name: "Service shop" }).waitFor();
    expect(await page.getByRole("note").count()).toBe(0); // writable
    await page.getByRole("button", { name: "New route for service shop" }).click();

    const form = page.getByRole("form", { name: "New route" });
    await form.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await form.getByLabel("name", { exact: true }).fill("made-in-the-browser");
    const paths = form.getByLabel(/^paths/);
    provoked.add(400);
    await paths.fill("no-leading-slash");
    await form.getByRole("button", { name: "Create route" }).click();

    // Kong's `fields` error, beside the paths field and tied to it for assistive technology
    const error = form.locator("#routes-new-paths-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(/should start with/);
    expect(await paths.getAttribute("aria-invalid")).toBe("true");
    expect(await paths.getAttribute("aria-describedby")).toContain("routes-new-paths-error");
    await screenshot(page, "manager-route-form-error");

    await paths.fill("/browser");
    await form.getByRole("button", { name: "Create route" }).click();
    await page.getByRole("link", { name: "made-in-the-browser" }).waitFor();
    await screenshot(page, "manager-route-created");

    let body = "";
    await until(async () => {
      const res = await rawRequest(gw.proxyUrl, "/browser");
      body = res.body;
      return res.status === 200;
    }, 10_000);
    expect(body).toBe("from-the-app");

    // a plugin on that route, through the form generated from its config schema
    await page.getByRole("link", { name: "made-in-the-browser" }).click();
    await page.getByRole("heading", { name: "Route made-in-the-browser" }).waitFor();
    await page.getByRole("button", { name: "Add a plugin to this route" }).click();
    await page.getByLabel("Plugin", { exact: true }).selectOption("cors");
    const pluginForm = page.getByRole("form", { name: "Configure cors" });
    await pluginForm.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await pluginForm.getByLabel(/^origins/).fill("https://shop.example");
    await pluginForm.getByRole("button", { name: "Add cors" }).click();
    await page
      .getByRole("table", { name: /Plugins applying/ })
      .getByRole("link", { name: "cors" })
      .waitFor();
    await screenshot(page, "manager-route-plugin-added");
    await until(async () => {
      const res = await rawRequest(gw.proxyUrl, "/browser", { headers: { origin: "https://shop.example" } });
      return res.headers["access-control-allow-origin"] === "https://shop.example";
    }, 10_000);
  });

  it("sends the CSRF token on writes (a write without it is refused)", async () => {
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    provoked.add(403);
    const status = await page.evaluate(async () => {
      const res = await fetch("admin-api/consumers", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "no-csrf" }),
      });
      return res.status;
    });
    expect(status).toBe(403);

    await page.getByRole("link", { name: "Consumers" }).click();
    await page.getByRole("button", { name: "New consumer" }).click();
    const form = page.getByRole("form", { name: "New consumer" });
    expect(await unlabelledControls(page)).toEqual([]);
    await form.getByLabel("username").fill("bob");
    await form.getByLabel("username").press("Enter");
    await page.getByRole("row", { name: /bob/ }).waitFor();
    await screenshot(page, "manager-consumer-created");
  });

  /** An Admin API write straight to the Admin listener (the test's own setup, not the page's). */
  async function admin(path: string, body: unknown): Promise<{ id: string }> {
    const res = await fetch(`${gw.adminUrl}/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(res.status, `POST /${path}`).toBe(201);
    return (await res.json()) as { id: string };
  }

  it("creates a key-auth credential for a consumer through its generated form; a request with it passes key-auth", async () => {
    await admin("services/shop/routes", { name: "keyed", paths: ["/keyed"] });
    await admin("routes/keyed/plugins", { name: "key-auth" });
    await admin("consumers", { username: "carol" });
    const key = "carol-key-typed-in-the-browser";
    await until(
      async () => (await rawRequest(gw.proxyUrl, "/keyed", { headers: { apikey: key } })).status === 401,
      10_000,
    );

    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Consumers" }).click();
    await page.getByRole("button", { name: "Add a credential to consumer carol" }).click();
    // an oauth2 application's form says a hashed secret cannot be read back
    await page.getByLabel("Credential kind for consumer carol").selectOption("oauth2");
    await page.getByRole("form", { name: "New oauth2 application" }).waitFor();
    const hashNote = page.getByRole("note").filter({ hasText: "stored hashed" });
    expect(await hashNote.textContent()).toContain("hash_secret");
    await page.getByLabel("Credential kind for consumer carol").selectOption("key-auth");
    const form = page.getByRole("form", { name: "New key-auth credential" });
    await form.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    const keyField = form.getByLabel("key", { exact: true });
    expect(await keyField.getAttribute("type")).toBe("password"); // what is typed is not on screen
    await keyField.fill(key);
    await form.getByRole("button", { name: "Create key-auth credential" }).click();
    const note = page.getByRole("status").filter({ hasText: "Created key-auth credential" });
    await note.waitFor();
    // the manager's server redacts the key in the answer: it is never shown, not even once
    expect(await note.textContent()).not.toContain("Shown this once");
    // dismissed from the keyboard, the focus stays in the page's content
    await note.getByRole("button", { name: "Dismiss" }).focus();
    await page.keyboard.press("Enter");
    await note.waitFor({ state: "detached" });
    await focusOnMain(page);
    const row = page.getByRole("row", { name: /carol/ });
    await row.getByText("key-auth", { exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);
    await screenshot(page, "manager-credential-created");

    let res = await rawRequest(gw.proxyUrl, "/keyed", { headers: { apikey: key } });
    await until(async () => {
      res = await rawRequest(gw.proxyUrl, "/keyed", { headers: { apikey: key } });
      return res.status === 200;
    }, 10_000);
    expect(res.body).toBe("from-the-app");

    // deleted through the page: the key no longer passes
    await row.getByRole("button", { name: /^Delete key-auth credential .* of consumer carol$/ }).click();
    await row.getByRole("button", { name: /^Confirm delete key-auth credential/ }).click();
    await until(async () => (await row.textContent())?.includes("key-auth") === false, 10_000);
    await until(
      async () => (await rawRequest(gw.proxyUrl, "/keyed", { headers: { apikey: key } })).status === 401,
      10_000,
    );
  });

  it("adds a global plugin from the catalogue through its schema form: its header on every proxied response; disabled, then deleted", async () => {
    await admin("services/shop/routes", { name: "open", paths: ["/open"] });
    const header = async () => (await rawRequest(gw.proxyUrl, "/open")).headers["x-added-by"];
    await until(async () => (await rawRequest(gw.proxyUrl, "/open")).status === 200, 10_000);
    expect(await header()).toBeUndefined();

    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plugins" }).click();
    await page.getByRole("heading", { name: "Global plugins" }).waitFor();
    await page.getByRole("button", { name: "Add a global plugin" }).click();
    await page.getByLabel("Plugin for every request").selectOption("response-transformer");
    const form = page.getByRole("form", { name: "Configure response-transformer for every request" });
    await form.waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await form.locator("#plugin-response-transformer-config-add-headers").fill("x-added-by:manager");
    await form.getByRole("button", { name: "Add response-transformer" }).click();
    const table = page.getByRole("table", { name: /Global plugins/ });
    const row = table.getByRole("row", { name: /response-transformer/ });
    await row.waitFor();
    await screenshot(page, "manager-global-plugin-added");
    await until(async () => (await header()) === "manager", 10_000);

    await row.getByRole("button", { name: "Disable global plugin response-transformer" }).click();
    await row.getByRole("button", { name: "Enable global plugin response-transformer" }).waitFor();
    await until(async () => (await header()) === undefined, 10_000);

    await row.getByRole("button", { name: "Delete global plugin response-transformer" }).click();
    await row.getByRole("button", { name: "Confirm delete global plugin response-transformer" }).click();
    await page.getByText("No global plugins.").waitFor();
    const plugins = (await (
      await fetch(`${gw.adminUrl}/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { data: Array<{ name: string }> };
    expect(plugins.data.map((p) => p.name)).not.toContain("response-transformer");
  });

  it("the credential and global-plugin forms from the keyboard: focus moves into each, Tab reaches every control, each has an accessible name, focus returns when it closes", async () => {
    await admin("consumers", { username: "dave" });
    const page = await openPage(gui);
    await signIn(page);
    await page.getByRole("link", { name: "Consumers" }).click();
    await page.getByRole("row", { name: /dave/ }).waitFor();
    await focusOnMain(page);

    // the credential form: its button reached by Tab, opened with Enter, focus on the kind picker
    await tabTo(page, "Add a credential to consumer dave");
    await page.keyboard.press("Enter");
    const kind = page.getByLabel("Credential kind for consumer dave");
    await kind.waitFor();
    await until(
      () => kind.evaluate((e) => e === (globalThis as unknown as PageGlobals).document.activeElement),
      5_000,
    );
    await page.keyboard.press("ArrowDown"); // the first kind: key-auth
    const form = page.getByRole("form", { name: "New key-auth credential" });
    await form.waitFor();
    // the secret field: typed into a password input, or generated and never shown — read on the Admin API
    const note = page.getByRole("note").filter({ hasText: "Secret fields" });
    expect(await note.textContent()).toMatch(/never shows it/);
    expect(await note.textContent()).toContain("127.0.0.1:8001");
    expect(await note.textContent()).toMatch(/GET \/consumers\/[0-9a-f-]{36}\/key-auth/);
    const credential = await tabThrough(page, 'section[aria-label="New credential for consumer dave"]');
    expectAllReachedAndNamed(credential);
    expect(credential.stops.map((s) => `${s.role}: ${s.name}`)).toEqual([
      "combobox: Credential kind for consumer dave",
      expect.stringMatching(/^textbox: key/),
      expect.stringMatching(/^spinbutton: ttl/),
      expect.stringMatching(/^textbox: tags/),
      "button: Create key-auth credential",
      "button: Cancel",
    ]);
    await screenshot(page, "manager-credential-form-keyboard");

    // created from the keyboard with the key left blank: generated by the gateway, never on the page
    await form.getByRole("button", { name: "Create key-auth credential" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "Created key-auth credential" }).waitFor();
    // the form closed: focus is back on the button that opened it
    await until(() => focusedName(page).then((n) => n === "Add a credential to consumer dave"), 5_000);
    const stored = (await (
      await fetch(`${gw.adminUrl}/consumers/dave/key-auth`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { data: Array<{ key: string }> };
    expect(stored.data).toHaveLength(1);
    const generated = stored.data[0]!.key;
    expect(generated).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.content()).not.toContain(generated);

    // the global-plugin form: its button reached by Tab, Enter, focus on the plugin picker, a plugin chosen by typing
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plugins" }).click();
    await page.getByRole("heading", { name: "Global plugins" }).waitFor();
    await page.getByText("No global plugins.").waitFor();
    await focusOnMain(page);
    await tabTo(page, "Add a global plugin");
    await page.keyboard.press("Enter");
    const picker = page.getByLabel("Plugin for every request");
    await picker.waitFor();
    await until(
      () => picker.evaluate((e) => e === (globalThis as unknown as PageGlobals).document.activeElement),
      5_000,
    );
    await page.keyboard.type("response-transformer");
    const pluginForm = page.getByRole("form", { name: "Configure response-transformer for every request" });
    await pluginForm.waitFor();
    const plugin = await tabThrough(page, ".plugin-editor");
    expectAllReachedAndNamed(plugin);
    expect(plugin.stops[0]).toMatchObject({ index: 0, role: "combobox", name: "Plugin for every request" });
    const heard = plugin.stops.map((s) => [...s.groups, s.name].join(" › "));
    expect(heard).toEqual(
      expect.arrayContaining([
        "enabled",
        "config › add › headers (one per line)",
        "config › remove › headers (one per line)",
        "config › add › json_types › boolean",
        "Add response-transformer",
        "Cancel",
      ]),
    );
    await screenshot(page, "manager-global-plugin-form-keyboard");

    // Cancel from the keyboard: the form closes, nothing was added
    await pluginForm.getByRole("button", { name: "Cancel" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Add a global plugin" }).waitFor();
    await until(() => focusedName(page).then((n) => n === "Add a global plugin"), 5_000);
    await page.getByText("No global plugins.").waitFor();
  });
});
