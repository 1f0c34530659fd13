import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createLogger, createRedisClient, createServiceApp, listen, type RedisClient } from '@shopgraph/common';
import { closeQueues, createQueueConnection, createQueues, type QueueSet } from '@shopgraph/queues';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { testRedisUrl } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardLoginLimits, mountDashboard } from './dashboard.js';
import { XSRF_COOKIE, XSRF_HEADER } from './dashboard-guards.js';
import { createLoginThrottle } from './dashboard-login-throttle.js';

const logger = createLogger('dashboard-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const prefix = testQueuePrefix();
const admin = { email: 'ops@shopgraph.test', password: 'dashboard-password' };
const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
const asAdmin = basic(admin.email, admin.password);

let connection: RedisClient;
let throttleRedis: RedisClient;
let queues: QueueSet;
let server: Server;
let port: number;

beforeAll(async () => {
  connection = createQueueConnection(testRedisUrl);
  throttleRedis = createRedisClient(testRedisUrl);
  // As the process does: connected before the first login, or the first ones count in memory.
  await throttleRedis.ping();
  queues = createQueues(connection, prefix);
  const { app } = createServiceApp({ service: 'dashboard-test', logger, checks: {} });
  const throttle = createLoginThrottle({ redis: throttleRedis, keyPrefix: `${prefix}:dashboard-login:`, ...dashboardLoginLimits });
  mountDashboard(app, queues, { admin, throttle });
  server = createServer(app);
  port = await listen(server, 0, '127.0.0.1');
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (queues) await closeQueues(queues);
  await Promise.all([connection?.quit(), throttleRedis?.quit()]);
  await removeQueueKeys(testRedisUrl, prefix);
});

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's address: any of 127.0.0.0/8 reaches the dashboard on 127.0.0.1. */
  from?: string;
}

/** One request from the given local address, as a browser or a script on that machine sends it. */
function send(path: string, { method = 'GET', headers = {}, body, from = '127.0.0.1' }: Sent = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, localAddress: from }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('dashboard logins', () => {
  it(`refuses an address with 429 after ${dashboardLoginLimits.perAddress.failures} wrong passwords, the right one included, while another address still gets in`, async () => {
    const from = '127.0.0.2';
    for (let i = 0; i < dashboardLoginLimits.perAddress.failures; i++) {
      expect((await send('/queues', { from, headers: { authorization: basic(admin.email, `guess-${i}`) } })).status).toBe(401);
    }
    const throttled = await send('/queues', { from, headers: { authorization: asAdmin } });
    expect(throttled.status).toBe(429);
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(dashboardLoginLimits.perAddress.durationS);
    expect((await send('/queues', { from: '127.0.0.3', headers: { authorization: asAdmin } })).status).toBe(200);
  });

  it('lets a parallel burst of guesses have no more than the limit between them', async () => {
    const burst = await Promise.all(
      Array.from({ length: 60 }, (_, i) => send('/queues/api/queues', { from: '127.0.0.4', headers: { authorization: basic(admin.email, `burst-${i}`) } })),
    );
    const statuses = burst.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(dashboardLoginLimits.perAddress.failures);
    expect(statuses.filter((status) => status === 429)).toHaveLength(60 - dashboardLoginLimits.perAddress.failures);
  });

  it('counts only failures: the admin who gets in is not throttled for it', async () => {
    const from = '127.0.0.5';
    for (let i = 0; i < 3 * dashboardLoginLimits.perAddress.failures; i++) {
      expect((await send('/queues/api/queues', { from, headers: { authorization: asAdmin } })).status).toBe(200);
    }
    for (let i = 0; i < dashboardLoginLimits.perAddress.failures; i++) {
      expect((await send('/queues', { from, headers: { authorization: basic(admin.email, `typo-${i}`) } })).status).toBe(401);
    }
    expect((await send('/queues', { from, headers: { authorization: asAdmin } })).status).toBe(429);
  });

  it('refuses an account guessed from many addresses, without charging an address that only knocked', async () => {
    const target = 'victim@shopgraph.test';
    const { failures } = dashboardLoginLimits.perAccount;
    const perAddress = dashboardLoginLimits.perAddress.failures;
    for (let sent = 0; sent < failures; sent++) {
      const from = `127.0.1.${1 + Math.floor(sent / perAddress)}`;
      expect((await send('/queues', { from, headers: { authorization: basic(target, `spray-${sent}`) } })).status).toBe(401);
    }
    const fresh = '127.0.2.1';
    for (let i = 0; i < 2 * perAddress; i++) {
      expect((await send('/queues', { from: fresh, headers: { authorization: basic(target, `spray-late-${i}`) } })).status).toBe(429);
    }
    expect((await send('/queues', { from: fresh, headers: { authorization: asAdmin } })).status).toBe(200);
  });

  it('asks for credentials without counting a request that sent none', async () => {
    const from = '127.0.0.6';
    for (let i = 0; i < 2 * dashboardLoginLimits.perAddress.failures; i++) {
      const anonymous = await send('/queues', { from });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm=/);
    }
    expect((await send('/queues', { from, headers: { authorization: asAdmin } })).status).toBe(200);
  });
});

describe('the dashboard page', () => {
  it('may not be framed, whether or not the visitor is signed in', async () => {
    for (const response of [await send('/queues'), await send('/queues', { headers: { authorization: asAdmin } })]) {
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toBe("frame-ancestors 'none'");
    }
  });
});

describe('changes through the dashboard', () => {
  const addJob = '/queues/api/queues/payments/add';
  const job = JSON.stringify({ name: 'forged', data: { orderId: 'x' }, options: {} });
  let token: string;
  let origin: string;

  beforeAll(async () => {
    origin = `http://127.0.0.1:${port}`;
    const page = await send('/queues', { headers: { authorization: asAdmin } });
    const cookie = [page.headers['set-cookie'] ?? []].flat().find((line) => line.startsWith(`${XSRF_COOKIE}=`));
    expect(cookie).toMatch(/; Path=\/queues; SameSite=Strict/);
    token = cookie!.slice(XSRF_COOKIE.length + 1).split(';')[0]!;
  });

  const waitingPayments = () => queues.payments.getWaitingCount();

  it('refuses a cross-site text/plain POST carrying the cached credentials', async () => {
    const before = await waitingPayments();
    const forged = await send(addJob, {
      method: 'POST',
      headers: { authorization: asAdmin, 'content-type': 'text/plain', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: job,
    });
    expect(forged.status).toBe(403);
    expect(await waitingPayments()).toBe(before);
  });

  it('refuses a cross-site form POST, and a form POST from a page on this host without the token', async () => {
    const form = 'name=forged&data=%7B%7D';
    const headers = { authorization: asAdmin, 'content-type': 'application/x-www-form-urlencoded' };
    const crossSite = await send(addJob, { method: 'POST', headers: { ...headers, origin: 'null', 'sec-fetch-site': 'cross-site' }, body: form });
    expect(crossSite.status).toBe(403);
    const sameOriginNoToken = await send(addJob, { method: 'POST', headers: { ...headers, origin, 'sec-fetch-site': 'same-origin' }, body: form });
    expect(sameOriginNoToken.status).toBe(403);
  });

  it('refuses the token from another origin: a page on another port of this host is same-site, not same-origin', async () => {
    const headers = { authorization: asAdmin, 'content-type': 'application/json', cookie: `${XSRF_COOKIE}=${token}`, [XSRF_HEADER]: token };
    const otherPort = await send(addJob, { method: 'POST', headers: { ...headers, origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' }, body: job });
    expect(otherPort.status).toBe(403);
    const wrongToken = await send(addJob, { method: 'POST', headers: { ...headers, origin, [XSRF_HEADER]: `${token.slice(1)}A` }, body: job });
    expect(wrongToken.status).toBe(403);
  });

  it("accepts what the dashboard's own page sends: JSON with the token, and a bodyless PUT with it", async () => {
    const before = await waitingPayments();
    const headers = { authorization: asAdmin, cookie: `${XSRF_COOKIE}=${token}`, [XSRF_HEADER]: token, origin, 'sec-fetch-site': 'same-origin' };
    const added = await send(addJob, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: job });
    expect(added.status).toBe(200);
    expect(await waitingPayments()).toBe(before + 1);
    const paused = await send('/queues/api/queues/payments/pause', { method: 'PUT', headers });
    expect(paused.status).toBe(200);
    expect(await queues.payments.isPaused()).toBe(true);
  });
});
