import { queueNames } from '@shopgraph/queues';
import { describe, expect, inject, it } from 'vitest';
import { useBrowser } from './browser.js';

describe('the tools around the graph, in a browser', () => {
  const browser = useBrowser();

  it('the gateway URL serves the Apollo Sandbox landing page', async () => {
    const page = await browser.page('sandbox');
    const response = await page.goto(inject('gatewayUrl'));
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/text\/html/);
    // The page the gateway serves: the embedded Sandbox mounts into this element with the
    // gateway's own URL as its endpoint. Its script comes from Apollo's CDN, which this
    // machine cannot reach (and the test context refuses), so the page itself is what is checked.
    await page.locator('#embeddableSandbox').waitFor({ state: 'attached' });
    const html = await page.content();
    expect(html).toContain('EmbeddedSandbox');
    expect(html).toContain('initialEndpoint');
  });

  it('the queue dashboard asks for credentials, then lists the queues with their job counts', async () => {
    const dashboardUrl = inject('dashboardUrl');
    const anonymous = await browser.page('queue-dashboard-refused');
    // Headless Chromium has no one to ask for a password: with no credentials in the context,
    // the challenge is declined and the page shows the dashboard's refusal.
    const refused = await anonymous.goto(dashboardUrl);
    expect(refused?.status()).toBe(401);
    expect(refused?.headers()['www-authenticate']).toMatch(/^Basic /);
    expect(await anonymous.getByText(queueNames[0]!, { exact: true }).count()).toBe(0);

    const page = await browser.page('queue-dashboard', {
      httpCredentials: { username: inject('adminEmail'), password: inject('adminPassword') },
    });
    const response = await page.goto(dashboardUrl);
    expect(response?.status()).toBe(200);
    for (const name of queueNames) await page.getByText(name, { exact: true }).first().waitFor();
    // bull-board's overview: one card per queue, each with its job count ("12 Jobs").
    await expect.poll(() => page.getByText(/^\d+ Jobs?$/).count()).toBe(queueNames.length);
  });

  it("the queue dashboard's own buttons still change a queue: bull-board's client passes the cross-site request guard", async () => {
    const page = await browser.page('queue-dashboard-pause', {
      httpCredentials: { username: inject('adminEmail'), password: inject('adminPassword') },
    });
    // Dead letters: no worker reads them, so pausing them a moment changes nothing for other tests.
    await page.goto(`${inject('dashboardUrl')}/queue/dead-letters`);
    for (const [action, path] of [['Pause', 'pause'], ['Resume', 'resume']] as const) {
      await page.locator('button[aria-haspopup="menu"]').click();
      await page.getByRole('menuitem', { name: action, exact: true }).click();
      const [answer] = await Promise.all([
        page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/api/queues/dead-letters/${path}`)),
        page.getByRole('button', { name: 'Confirm' }).click(),
      ]);
      // The page sent the X-XSRF-TOKEN header its cookie holds; a forged request cannot (403).
      expect(answer.request().headers()['x-xsrf-token']).toMatch(/^[\w-]{43}$/);
      expect(answer.status()).toBe(200);
    }
  });
});
