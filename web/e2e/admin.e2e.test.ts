import { randomBytes } from 'node:crypto';
import { describe, inject, it } from 'vitest';
import { useBrowser } from './browser.js';
import { logIn, search } from './storefront.js';

/** A word no seeded product contains, so the search finds the new product alone. */
const uniqueWord = () => `zephyr${randomBytes(4).toString('hex').replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}`;

describe('the admin view', () => {
  const browser = useBrowser();
  const webUrl = inject('webUrl');

  it('a product the admin creates shows up in a customer’s next search', async () => {
    const word = uniqueWord();
    const name = `Stunt kite ${word}`;

    // The customer looks first: nothing yet, and that answer is now in their client's cache.
    const customer = await browser.page('admin-product-customer');
    await customer.goto(webUrl);
    await search(customer, word);
    await customer.getByText(`No products match “${word}”.`).waitFor();

    const admin = await browser.page('admin-product-admin');
    await logIn(admin, webUrl, inject('adminEmail'), inject('adminPassword'));
    await admin.getByRole('link', { name: 'Admin' }).click();
    const form = admin.getByRole('form', { name: 'New product' });
    await form.getByLabel('SKU').fill(`KITE-${word.toUpperCase()}`);
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Description').fill('A two-line stunt kite with a ripstop sail.');
    await form.getByLabel('Price').fill('49.90');
    await form.getByLabel('Initial stock').fill('7');
    await form.getByRole('button', { name: 'Create product' }).click();
    await form.getByText(`Created ${name}`).waitFor();

    await search(customer, word);
    const card = customer.getByRole('article', { name });
    await card.getByText('€49.90').waitFor();
    await card.getByText('7 in stock').waitFor();
    await browser.shot(customer, 'admin-product-found');

    // The same form edits it: a new price, refused first in a currency that is no code.
    await admin.getByRole('searchbox', { name: 'Search the catalog' }).fill(word);
    await admin.getByRole('button', { name: 'Search', exact: true }).click();
    const row = admin.getByRole('row', { name });
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = row.getByRole('form', { name: `Edit ${name}` });
    await edit.getByLabel('Price').fill('39.90');
    await edit.getByLabel('Currency').fill('E1');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByText('“E1” is not a currency code').waitFor();
    await edit.getByLabel('Currency').fill('EUR');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByText('€39.90').waitFor();

    // Removed again, so the catalog is the seeded one for the other end-to-end files.
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await row.waitFor({ state: 'detached' });
    await search(customer, word);
    await customer.getByText(`No products match “${word}”.`).waitFor();
  });
});
