import type { Page } from 'playwright-core';

let customers = 0;

/** Registers a new customer through the storefront's form; resolves once the header greets them. */
export async function registerCustomer(page: Page, webUrl: string): Promise<{ email: string; name: string }> {
  const email = `shopper-${process.pid}-${Date.now()}-${customers++}@example.com`;
  const name = 'Robin Shopper';
  await page.goto(`${webUrl}/register`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  return { email, name };
}

export async function logIn(page: Page, webUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${webUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Searches the catalog from its search box; resolves when the results for `term` are shown. */
export async function search(page: Page, term: string): Promise<void> {
  await page.getByLabel('Search products').fill(term);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('heading', { name: `Results for “${term}”` }).waitFor();
  await page.getByTestId('result-count').waitFor();
}

/** The stock level the product page shows (it polls the graph). */
export async function shownStock(page: Page): Promise<number> {
  return Number(await page.getByTestId('stock').textContent());
}

/** Opens the product called `name` from the current results, notes its stock and adds `quantity`. */
export async function addFromProductPage(page: Page, name: string, quantity: number): Promise<{ url: string; stock: number }> {
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor();
  const stock = await shownStock(page);
  await page.getByLabel('Quantity').fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.getByText(`Added ${quantity} to your cart.`).waitFor();
  return { url: page.url(), stock };
}

/** Places the cart's order and resolves on the order page once the items are reserved. */
export async function placeOrder(page: Page): Promise<void> {
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/orders\/[^/]+$/);
  await orderStatus(page, 'AWAITING_PAYMENT');
}

/** Waits until the order page shows `status` (pushed to it while the workers move the order). */
export async function orderStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.locator(`[data-testid=order-status] [data-status=${status}]`).waitFor({ timeout });
}

export async function payWith(page: Page, card: string): Promise<void> {
  await page.getByLabel('Card number').fill(card);
  await page.getByRole('button', { name: /^Pay / }).click();
}

/** Waits until the latest payment shows `status`. */
export async function paymentStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.locator(`[data-testid=payment] [data-status=${status}]`).waitFor({ timeout });
}
