/**
 * Real Chromium for page tests: Debian's /usr/bin/chromium driven by playwright-core (never a browser
 * download), headless, with every background network feature off so a page test makes no request but
 * its own. Screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.GATESTACK_CHROMIUM ?? "/usr/bin/chromium";

export const SCREENSHOT_DIR = join(process.cwd(), "test-artifacts", "screenshots");

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A fresh context (its own cookies) whose pages fail the test on any page error. */
export async function newContext(browser: Browser, baseURL?: string): Promise<BrowserContext> {
  return browser.newContext({ ...(baseURL ? { baseURL } : {}), viewport: { width: 1280, height: 900 } });
}

/** Saves a full-page screenshot as test-artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects the page's console errors and uncaught exceptions, to assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return errors;
}
