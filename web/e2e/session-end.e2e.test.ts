import { gatewayRequest, waitFor } from '@shopgraph/testing';
import type { Page } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { useBrowser } from './browser.js';
import { registerCustomer } from './storefront.js';

/** The bearer token the storefront keeps (web/src/session-store.ts), read in the page. */
const storedToken = (page: Page) => page.evaluate<string | null>("localStorage.getItem('shopgraph.token')");

describe('a session that ends', () => {
  const browser = useBrowser();
  const webUrl = inject('webUrl');

  it('sends the shopper back to log in: the storefront drops the token the gateway refuses', async () => {
    const page = await browser.page('session-ended');
    await registerCustomer(page, webUrl);
    await page.goto(`${webUrl}/orders`);
    await page.getByRole('heading', { name: 'My orders' }).waitFor();

    // Ended elsewhere, as "log out everywhere" from another device, or an expired token, would.
    const token = await storedToken(page);
    expect(token).toEqual(expect.any(String));
    const ended = await gatewayRequest(inject('gatewayUrl'), 'mutation { logoutEverywhere }', {}, token!);
    expect(ended.data).toEqual({ logoutEverywhere: true });

    // Every gateway refuses the token within SESSION_CHECK_CACHE_MS; the page asks again until then.
    await waitFor(
      async () => {
        await page.reload();
        return page.getByRole('link', { name: 'Log in' }).first().isVisible();
      },
      { timeoutMs: 20_000, intervalMs: 250, what: 'the storefront to ask for a login' },
    );
    await page.getByText('to see your orders.').waitFor();
    expect(await storedToken(page)).toBeNull();
  });

  it('"Log out" ends the session on the server too: a copy of the token is refused afterwards', async () => {
    const page = await browser.page('logged-out');
    await registerCustomer(page, webUrl);
    const token = await storedToken(page);
    expect(token).toEqual(expect.any(String));
    const me = 'query { me { id } }';
    expect((await gatewayRequest(inject('gatewayUrl'), me, {}, token!)).errors).toBeUndefined();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('link', { name: 'Log in' }).first().waitFor();
    expect(await storedToken(page)).toBeNull();

    // The same token, kept by someone who copied it, stops working within SESSION_CHECK_CACHE_MS.
    await waitFor(
      async () => (await gatewayRequest(inject('gatewayUrl'), me, {}, token!)).errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      { timeoutMs: 20_000, intervalMs: 250, what: 'the gateway to refuse the logged-out token' },
    );
  });
});
