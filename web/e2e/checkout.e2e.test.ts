import { describe, expect, inject, it } from 'vitest';
import { useBrowser } from './browser.js';
import {
  addFromProductPage,
  orderStatus,
  payWith,
  paymentStatus,
  placeOrder,
  registerCustomer,
  search,
  shownStock,
} from './storefront.js';

const GOOD_CARD = '4242424242424242';
const DECLINED_CARD = '4000000000000002';

describe('checkout in the storefront', () => {
  const browser = useBrowser();
  const webUrl = inject('webUrl');

  it('a new customer registers, searches, buys two products with a good card, sees PAID and the stock drop', async () => {
    const page = await browser.page('purchase');
    await page.goto(webUrl);
    await page.getByRole('heading', { name: 'The shop' }).waitFor();
    await page.getByRole('article').first().waitFor();
    await browser.shot(page, 'purchase-1-catalog');

    await registerCustomer(page, webUrl);
    await search(page, 'coffee');
    const beans = await addFromProductPage(page, 'Ethiopian coffee beans', 2);
    await page.goBack();
    await page.getByRole('heading', { name: 'Results for “coffee”' }).waitFor();
    const grinder = await addFromProductPage(page, 'Hand coffee grinder', 1);
    await page.getByRole('link', { name: /^Cart/ }).click();
    await page.getByRole('button', { name: 'Place order' }).waitFor();
    await browser.shot(page, 'purchase-2-cart');

    await placeOrder(page);
    await browser.shot(page, 'purchase-3-awaiting-payment');
    await payWith(page, GOOD_CARD);
    await paymentStatus(page, 'SUCCEEDED');
    await orderStatus(page, 'PAID');
    await page.getByText('Paid. Thank you for your order!').waitFor();

    // The product pages poll the graph: the reserved, now sold, units are gone from stock.
    await page.goto(beans.url);
    expect(await shownStock(page)).toBe(beans.stock - 2);
    await page.goto(grinder.url);
    expect(await shownStock(page)).toBe(grinder.stock - 1);

    await page.getByRole('link', { name: 'My orders' }).click();
    const row = page.getByRole('row').filter({ hasText: '2 × Ethiopian coffee beans' });
    await row.locator('[data-status=PAID]').waitFor();
    await row.locator('[data-status=SUCCEEDED]').waitFor();
    await browser.shot(page, 'purchase-4-my-orders');
  });

  it('a declined card shows its reason; a retry with a good card pays the order', async () => {
    const page = await browser.page('declined-then-paid');
    await registerCustomer(page, webUrl);
    await page.goto(webUrl);
    await search(page, 'socks');
    await addFromProductPage(page, 'Merino socks', 1);
    await placeOrder(page);

    await payWith(page, DECLINED_CARD);
    await paymentStatus(page, 'FAILED');
    expect(await page.getByTestId('failure-reason').textContent()).toContain('card_declined');
    await orderStatus(page, 'AWAITING_PAYMENT');
    await browser.shot(page, 'declined-1-reason');

    await payWith(page, GOOD_CARD);
    await paymentStatus(page, 'SUCCEEDED');
    await orderStatus(page, 'PAID');
  });

  it('cancelling a paid order refunds the payment and releases the stock', async () => {
    const page = await browser.page('cancelled-refunded');
    await registerCustomer(page, webUrl);
    await page.goto(webUrl);
    await search(page, 'umbrella');
    const umbrella = await addFromProductPage(page, 'Compact umbrella', 1);
    await placeOrder(page);
    await payWith(page, GOOD_CARD);
    await orderStatus(page, 'PAID');

    await page.getByRole('button', { name: 'Cancel order' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the order' }).click();
    await orderStatus(page, 'CANCELLED');
    await paymentStatus(page, 'REFUNDED');
    await page.getByText(/refunded to your card/).waitFor();

    await page.goto(umbrella.url);
    expect(await shownStock(page)).toBe(umbrella.stock);
  });
});
