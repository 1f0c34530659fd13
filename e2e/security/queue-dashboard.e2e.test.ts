import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, inject, it } from 'vitest';

/**
 * The workers' queue dashboard of the production platform, attacked as issue 12 found it open:
 * guessed passwords, framing, and forged cross-site writes riding on the browser's cached
 * basic-auth credentials.
 */
const platform = inject('securityPlatform');
const dashboard = new URL(platform.dashboardUrl);
const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
const asAdmin = basic(platform.admin.email, platform.admin.password);
/** The dashboard's limit per address (workers/src/dashboard.ts). */
const FAILURES_PER_ADDRESS = 10;

/** One request from a local address of the attacker's choosing (any of 127.0.0.0/8 reaches 127.0.0.1). */
function send(path: string, { method = 'GET', headers = {}, body, from = '127.0.0.1' }: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: dashboard.hostname, port: dashboard.port, path, method, headers, localAddress: from }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const deadLetterCount = async () => {
  const { text } = await send('/queues/api/queues?activeQueue=dead-letters', { headers: { authorization: asAdmin } });
  const { queues } = JSON.parse(text) as { queues: { name: string; counts: Record<string, number> }[] };
  return Object.values(queues.find((queue) => queue.name === 'dead-letters')!.counts).reduce((sum, n) => sum + n, 0);
};

describe('the queue dashboard in production', () => {
  it('throttles a burst of guessed passwords to the limit, then refuses even the right one from that address', async () => {
    const from = '127.0.0.2';
    const burst = await Promise.all(
      Array.from({ length: 300 }, (_, i) => send('/queues', { from, headers: { authorization: basic(platform.admin.email, `guess-${i}`) } })),
    );
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(FAILURES_PER_ADDRESS);
    expect(statuses.filter((status) => status === 429)).toHaveLength(300 - FAILURES_PER_ADDRESS);
    const right = await send('/queues', { from, headers: { authorization: asAdmin } });
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    // The admin at another address is not locked out by the guesser.
    expect((await send('/queues', { from: '127.0.0.3', headers: { authorization: asAdmin } })).status).toBe(200);
  });

  it('may not be framed', async () => {
    for (const response of [await send('/queues'), await send('/queues', { headers: { authorization: asAdmin } })]) {
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });

  it('refuses jobs forged by another site with the cached credentials: text/plain and form POSTs', async () => {
    const before = await deadLetterCount();
    const addJob = '/queues/api/queues/dead-letters/add';
    const forged = [
      { 'content-type': 'text/plain', body: JSON.stringify({ name: 'forged', data: {}, options: {} }) },
      { 'content-type': 'application/x-www-form-urlencoded', body: 'name=forged&data=%7B%7D' },
    ];
    for (const { body, ...headers } of forged) {
      const response = await send(addJob, {
        method: 'POST',
        headers: { ...headers, authorization: asAdmin, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
        body,
      });
      expect(response.status).toBe(403);
    }
    expect(await deadLetterCount()).toBe(before);

    // The dashboard's own page: same origin, the X-XSRF-TOKEN header its cookie holds.
    const page = await send('/queues', { headers: { authorization: asAdmin } });
    const token = [page.headers['set-cookie'] ?? []].flat().find((line) => line.startsWith('XSRF-TOKEN='))!.split(';')[0]!.slice('XSRF-TOKEN='.length);
    const own = await send(addJob, {
      method: 'POST',
      headers: {
        authorization: asAdmin,
        'content-type': 'application/json',
        cookie: `XSRF-TOKEN=${token}`,
        'x-xsrf-token': token,
        origin: dashboard.origin,
        'sec-fetch-site': 'same-origin',
      },
      body: JSON.stringify({ name: 'added-by-the-admin', data: {}, options: {} }),
    });
    expect(own.status).toBe(200);
    expect(await deadLetterCount()).toBe(before + 1);
  });
});
