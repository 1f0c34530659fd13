import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
// The platform's provided values (webUrl, gatewayUrl, …) are declared by the e2e global setup,
// the browser's path by the browser's.
import type {} from '../../e2e/global-setup.js';
import type {} from './global-setup.js';

// Headless on a machine with no network but loopback: no GPU, no sandbox (root in CI), and
// none of the background connections Chromium makes to Google at start.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Where a run's screenshots go: `screenshots/last-run/`, ignored by git, so `npm test` leaves the
 * working tree as it found it. The README's pictures are the purchase's, copied up into
 * `screenshots/` by `npm run screenshots -w @shopgraph/web` (e2e/promote-screenshots.ts).
 */
export const screenshotDir = fileURLToPath(new URL('./screenshots/last-run/', import.meta.url));

const isLoopback = (url: string) => {
  const { hostname } = new URL(url);
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
};

export interface TestBrowser {
  /**
   * A page in a fresh context (its own storage: another person), screenshotted as
   * `screenshots/last-run/<name>.png` after the test, or `<name>.failed.png` when the test failed.
   */
  page(name: string, options?: BrowserContextOptions): Promise<Page>;
  /** A screenshot of a step in the middle of a flow, `screenshots/last-run/<name>.png`. */
  shot(page: Page, name: string): Promise<void>;
}

/**
 * One Chromium for the test file (launched by playwright-core with a new, empty profile);
 * the pages a test opened are screenshotted and closed after it, whatever its outcome.
 */
export function useBrowser(): TestBrowser {
  let browser: Browser;
  let pages: { name: string; page: Page }[] = [];

  beforeAll(async () => {
    await mkdir(screenshotDir, { recursive: true });
    browser = await chromium.launch({ executablePath: inject('chromiumPath'), headless: true, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async ({ task }) => {
    const failed = task.result?.state === 'fail';
    for (const { name, page } of pages) {
      await page
        .screenshot({ path: `${screenshotDir}${name}${failed ? '.failed' : ''}.png`, fullPage: true })
        .catch((error: unknown) => console.error(`screenshot ${name} failed`, error));
      await page.context().close();
    }
    pages = [];
  });

  return {
    async page(name, options = {}) {
      const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, ...options });
      // Nothing leaves this machine: a page asking for another host (a CDN, say) is refused at once.
      await context.route((url) => !isLoopback(url.href), (route) => route.abort('blockedbyclient'));
      const page = await context.newPage();
      pages.push({ name, page });
      return page;
    },
    async shot(page, name) {
      await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: true });
    },
  };
}
