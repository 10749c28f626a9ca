/**
 * The developer portal (issue 15 §2) in real Chromium (test/support/browser.ts), the way a stack
 * serves it: a real Caddy in front (a Caddyfile written here: /portal → the portal listener, prefix
 * stripped, everything else → the proxy listener), an in-process gateway, and two FastAPI-like apps
 * on 127.0.0.1 — one serving its OpenAPI document behind key-auth, one serving none. The page is
 * driven as an API consumer does: pick the service, "Try it out" → Execute (401 without a key),
 * Authorize with a key-auth key, Execute again (the app's 200 answer through Caddy and the gateway);
 * then from the keyboard alone (issue 15: keyboard navigation and labelled controls on every form),
 * each Tab stop with the accessible name Chromium's accessibility tree gives it and a visible focus.
 * Needs the built front-end (dist/portal: `npm run build`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../../src/gateway/server.js";
import { webAssetsDir } from "../../../src/gateway/web-assets.js";
import { launchBrowser, newContext, pageErrors, screenshot } from "../../support/browser.js";
import { startTestGateway } from "../../support/gateway.js";
import { type OpenApiApp, startOpenApiApp } from "../../support/openapi-app.js";
import { freePort, type ManagedProcess, startProcess } from "../../support/processes.js";

const KEY = "portal-e2e-key-4d1a";

let browser: Browser;
let context: BrowserContext;
let gateway: Gateway;
let users: OpenApiApp;
let legacy: OpenApiApp;
let caddy: ManagedProcess;
let edge: string;
let dir: string;

function hostPort(url: string | null): string {
  return new URL(url ?? "").host;
}

beforeAll(async () => {
  expect(webAssetsDir("portal"), "dist/portal is missing: run `npm run build` first").not.toBeNull();
  users = await startOpenApiApp();
  legacy = await startOpenApiApp({ openapi: false });
  gateway = await startTestGateway(
    {
      _format_version: "3.0",
      services: [
        {
          name: "users",
          url: users.url,
          routes: [
            { name: "users-api", paths: ["/users"], strip_path: true, plugins: [{ name: "key-auth" }] },
          ],
        },
        {
          name: "legacy",
          url: legacy.url,
          routes: [
            { name: "legacy-route", paths: ["/legacy"], methods: ["GET"], hosts: ["legacy.example.com"] },
          ],
        },
      ],
      consumers: [{ username: "alice", keyauth_credentials: [{ key: KEY }] }],
    },
    { portalListen: { host: "127.0.0.1", port: 0 } },
  );
  const port = await freePort();
  edge = `http://127.0.0.1:${port}`;
  dir = mkdtempSync(join(tmpdir(), "portal-e2e-"));
  writeFileSync(
    join(dir, "Caddyfile"),
    [
      "{",
      "\tadmin off",
      "\tauto_https off",
      "}",
      `http://127.0.0.1:${port} {`,
      "\tredir /portal /portal/ 308",
      "\thandle_path /portal/* {",
      "\t\tencode zstd gzip",
      `\t\treverse_proxy ${hostPort(gateway.portalUrl)}`,
      "\t}",
      "\thandle {",
      `\t\treverse_proxy ${hostPort(gateway.proxyUrl)}`,
      "\t}",
      "}",
      "",
    ].join("\n"),
  );
  caddy = await startProcess("caddy", ["run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
    cwd: dir,
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    readyUrl: `${edge}/portal/services.json`,
    timeoutMs: 20_000,
  });
  browser = await launchBrowser();
  context = await newContext(browser);
}, 90_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await caddy?.stop();
  await gateway?.close();
  await Promise.all([users?.close(), legacy?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Console errors but the 401 the test asks for on purpose. */
function unexpected(errors: string[]): string[] {
  return errors.filter((e) => !/status of 401/.test(e));
}

/** What the page script sees of the focused element (the test's own minimal DOM typing). */
interface FocusedElement {
  outerHTML: string;
  matches(selector: string): boolean;
}
interface PageGlobals {
  document: { activeElement: FocusedElement | null };
  getComputedStyle(el: FocusedElement): { outlineStyle: string; outlineWidth: string; boxShadow: string };
}

/** One Tab stop: Chromium's role and accessible name for it, and whether its focus shows. */
interface Stop {
  role: string;
  name: string;
  /** the element's opening, to tell a failing stop apart */
  html: string;
  /** :focus-visible, drawn: an outline of some width, or a box shadow */
  focusShown: boolean;
}

async function focusedStop(page: Page, cdp: CDPSession): Promise<Stop> {
  const { result } = await cdp.send("Runtime.evaluate", { expression: "document.activeElement" });
  const { node: dom } = await cdp.send("DOM.describeNode", { objectId: result.objectId });
  const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { objectId: result.objectId });
  const ax = nodes.find((n) => n.backendDOMNodeId === dom.backendNodeId);
  const seen = await page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    const el = g.document.activeElement;
    if (el === null) return { html: "", focusShown: false };
    const style = g.getComputedStyle(el);
    const outlined = style.outlineStyle !== "none" && Number.parseFloat(style.outlineWidth) > 0;
    return {
      html: el.outerHTML.slice(0, 160),
      focusShown: el.matches(":focus-visible") && (outlined || style.boxShadow !== "none"),
    };
  });
  return { role: String(ax?.role?.value ?? ""), name: String(ax?.name?.value ?? "").trim(), ...seen };
}

/** Does the focused element match `selector`? */
function focusedIs(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(
    (sel) => (globalThis as unknown as PageGlobals).document.activeElement?.matches(sel) ?? false,
    selector,
  );
}

/**
 * Press Tab until the focused element matches `selector` (at most `most` presses; none when focus
 * is there already, as a dialog's own focus puts it), every stop on the way (that one included)
 * recorded.
 */
async function tabTo(page: Page, cdp: CDPSession, selector: string, stops: Stop[], most = 60): Promise<void> {
  if (await focusedIs(page, selector)) {
    stops.push(await focusedStop(page, cdp));
    return;
  }
  for (let i = 0; i < most; i++) {
    await page.keyboard.press("Tab");
    stops.push(await focusedStop(page, cdp));
    if (await focusedIs(page, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}; the stops: ${JSON.stringify(stops.slice(-8), null, 1)}`);
}

describe("the developer portal through Caddy and the gateway", () => {
  let page: Page;
  let errors: string[];

  it("/portal redirects to /portal/ and lists the services: the one without OpenAPI with its routes", async () => {
    page = await context.newPage();
    errors = pageErrors(page);
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const res = await page.goto(`${edge}/portal`);
    expect(page.url()).toBe(`${edge}/portal/`);
    expect(res?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "API portal", level: 1 }).isVisible()).resolves.toBe(true);
    const nav = page.getByRole("navigation", { name: "Services" });
    await expect(nav.getByRole("link", { name: "users" }).isVisible()).resolves.toBe(true);
    const legacyItem = nav.locator('li.service[data-service="legacy"]');
    await expect(legacyItem.textContent()).resolves.toContain("routes only");
    await expect(legacyItem.textContent()).resolves.toContain("/openapi.json answered 404");
    const row = legacyItem.getByRole("row", { name: /legacy-route/ });
    await expect(row.textContent()).resolves.toMatch(/GET.*\/legacy.*legacy\.example\.com/);
    // Swagger UI shows the users service's document, the gateway's paths in it
    await page.locator(".swagger-ui .info .title").filter({ hasText: "Items" }).waitFor({ timeout: 30_000 });
    await page.locator("#operations-items-list_items").waitFor();
    await expect(
      page.locator("#operations-items-list_items .opblock-summary-path").textContent(),
    ).resolves.toBe("/users/items");
    // one definition per service in the selector: only the one with a document
    const options = await page.locator(".topbar select option").allTextContents();
    expect(options).toEqual(["users"]);
    await screenshot(page, "portal-services");
    // nothing was fetched from anywhere but the edge
    expect(requests.filter((u) => !u.startsWith(edge))).toEqual([]);
    expect(unexpected(errors)).toEqual([]);
  });

  it("Try it out without a key: the gateway's 401; Authorize with a key-auth key: the app's 200", async () => {
    const op = page.locator("#operations-items-list_items");
    await op.locator(".opblock-summary").click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.getByRole("button", { name: "Execute" }).click();
    const status = op.locator(".live-responses-table .response .response-col_status");
    await status.first().waitFor({ timeout: 15_000 });
    await expect(status.first().textContent()).resolves.toContain("401");
    await screenshot(page, "portal-try-without-key");

    await page.locator(".auth-wrapper button.authorize").click();
    const dialog = page.locator(".dialog-ux .modal-ux");
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain("key-auth.apikey");
    await dialog.locator("input[type=text]").fill(KEY);
    await dialog.getByRole("button", { name: "Apply credentials" }).click();
    await dialog.getByRole("button", { name: "Remove authorization" }).waitFor();
    await dialog.locator("button.btn-done").click();

    const before = users.requests.filter((r) => r === "GET /items").length;
    await op.getByRole("button", { name: "Execute" }).click();
    await op
      .locator(".live-responses-table .response .response-col_status")
      .filter({ hasText: "200" })
      .waitFor({ timeout: 15_000 });
    await expect(
      op.locator(".live-responses-table tbody .response-col_description").textContent(),
    ).resolves.toContain('"name": "hammer"');
    // the request went through the gateway: the route's prefix stripped, the key checked there
    expect(users.requests.filter((r) => r === "GET /items").length).toBe(before + 1);
    await expect(op.locator(".request-url").textContent()).resolves.toContain(`${edge}/users/items`);
    await screenshot(page, "portal-try-with-key");
    expect(unexpected(errors)).toEqual([]);
  });

  it("from the keyboard alone: the key input and try-it controls are reached by Tab, each named, focus shown", async () => {
    const kb = await context.newPage();
    const kbErrors = pageErrors(kb);
    const cdp = await kb.context().newCDPSession(kb);
    await cdp.send("Accessibility.enable");
    await kb.goto(`${edge}/portal/?service=users`);
    await kb.locator("#operations-items-list_items").waitFor({ timeout: 30_000 });
    const stops: Stop[] = [];

    // the page down to Authorize, then its dialog: the key's input, Apply, Close
    await tabTo(kb, cdp, ".auth-wrapper button.authorize", stops);
    await kb.keyboard.press("Enter");
    await kb.locator(".dialog-ux .modal-ux").waitFor();
    await tabTo(kb, cdp, ".dialog-ux input", stops);
    await kb.keyboard.type(KEY);
    await tabTo(kb, cdp, ".dialog-ux button.modal-btn.auth.authorize", stops);
    await kb.keyboard.press("Enter");
    await kb.locator(".dialog-ux").getByRole("button", { name: "Remove authorization" }).waitFor();
    await tabTo(kb, cdp, ".dialog-ux button.btn-done", stops);
    await kb.keyboard.press("Enter");
    await kb.locator(".dialog-ux").waitFor({ state: "detached" });

    // the operation: open it, Try it out, Execute — the app's 200 through the gateway
    await tabTo(kb, cdp, "#operations-items-list_items .opblock-summary-control", stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, "#operations-items-list_items button.try-out__btn", stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, "#operations-items-list_items button.execute", stops);
    await kb.keyboard.press("Enter");
    const answered = (op: string, status: string) =>
      kb
        .locator(`${op} .live-responses-table .response .response-col_status`)
        .filter({ hasText: status })
        .waitFor({ timeout: 15_000 });
    await answered("#operations-items-list_items", "200");

    // one with a request body: its content type and its text
    const create = "#operations-items-create_item";
    await tabTo(kb, cdp, `${create} .opblock-summary-control`, stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, `${create} button.try-out__btn`, stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, `${create} textarea`, stops);
    await tabTo(kb, cdp, `${create} button.execute`, stops);
    await kb.keyboard.press("Enter");
    await kb.locator(`${create} .live-responses-table .response .response-col_status`).first().waitFor();

    // one with a path parameter: its input, typed into
    const read = "#operations-items-read_item";
    await tabTo(kb, cdp, `${read} .opblock-summary-control`, stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, `${read} button.try-out__btn`, stops);
    await kb.keyboard.press("Enter");
    await tabTo(kb, cdp, `${read} tr[data-param-name="item_id"] input`, stops);
    await kb.keyboard.type("1");
    await tabTo(kb, cdp, `${read} button.execute`, stops);
    await kb.keyboard.press("Enter");
    await answered(read, "200");

    await screenshot(kb, "portal-keyboard");

    const seen = stops.map((s) => s.name);
    for (const control of ["Authorize", "Apply credentials", "Try it out", "Execute"])
      expect(seen).toContain(control);
    expect(stops.filter((s) => s.role === "textbox").length).toBeGreaterThanOrEqual(3);
    expect(stops.filter((s) => s.name === "")).toEqual([]);
    expect(stops.filter((s) => !s.focusShown)).toEqual([]);
    // and no control on the page, three operations open, is left without a name
    const { nodes } = await cdp.send("Accessibility.getFullAXTree");
    const controls = new Set([
      "button",
      "textbox",
      "combobox",
      "link",
      "checkbox",
      "radio",
      "tab",
      "listbox",
    ]);
    const unnamed = nodes.filter(
      (n) => !n.ignored && controls.has(String(n.role?.value)) && String(n.name?.value ?? "").trim() === "",
    );
    expect(unnamed.map((n) => `${n.role?.value} #${n.backendDOMNodeId}`)).toEqual([]);
    expect(unexpected(kbErrors)).toEqual([]);
    await cdp.detach();
    await kb.close();
  });
});
