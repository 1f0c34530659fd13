import type { Page, Request } from 'playwright-core';
import { describe, expect, inject, it } from 'vitest';
import { useBrowser } from './browser.js';
import { addFromProductPage, orderStatus, payWith, paymentStatus, placeOrder, registerCustomer, search } from './storefront.js';

/** The GraphQL operations a page sends from now on, by name. */
function recordOperations(page: Page): string[] {
  const sent: string[] = [];
  page.on('request', (request: Request) => {
    if (!new URL(request.url()).pathname.endsWith('/graphql')) return;
    try {
      sent.push((JSON.parse(request.postData() ?? '{}') as { operationName?: string }).operationName ?? 'anonymous');
    } catch {
      sent.push('unreadable');
    }
  });
  return sent;
}

describe('live updates in the storefront', () => {
  const browser = useBrowser();
  const webUrl = inject('webUrl');

  it('the order page goes from AWAITING_PAYMENT to PAID, and the catalog shows the stock drop, with no polling request', async () => {
    // Someone else has the catalog open on the product.
    const watcher = await browser.page('live-catalog');
    const watcherSent = recordOperations(watcher);
    await watcher.goto(webUrl);
    await search(watcher, 'candle');
    const card = watcher.getByRole('article').filter({ hasText: 'Cedar candle' });
    const stockBefore = Number(await card.getByTestId('stock').textContent());
    await expect.poll(() => watcherSent.includes('ProductStock'), { timeout: 20_000 }).toBe(true);
    const watcherSentBefore = watcherSent.length;

    const page = await browser.page('live-order');
    await registerCustomer(page, webUrl);
    await search(page, 'candle');
    await addFromProductPage(page, 'Cedar candle', 2);
    await placeOrder(page);

    // The reservation took two candles: pushed to the catalog that shows them.
    await card.getByTestId('stock').getByText(String(stockBefore - 2), { exact: true }).waitFor({ timeout: 20_000 });
    expect(watcherSent.slice(watcherSentBefore)).toEqual([]);

    const sent = recordOperations(page);
    await payWith(page, '4242424242424242');
    await paymentStatus(page, 'SUCCEEDED');
    await orderStatus(page, 'PAID');
    await browser.shot(page, 'live-order-paid');
    // The payment, and nothing asked again: PROCESSING, SUCCEEDED and PAID were pushed.
    expect(sent).toEqual(['PayOrder']);
  });
});
