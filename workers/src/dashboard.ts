import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { DEAD_LETTER_QUEUE, queueNames, type QueueSet } from '@shopgraph/queues';
import type { Express, RequestHandler } from 'express';
import { antiFraming, sameOriginWrites } from './dashboard-guards.js';
import type { LoginThrottle } from './dashboard-login-throttle.js';

export const DASHBOARD_PATH = '/queues';

/**
 * Wrong passwords allowed before logins are refused until the window ends: few per address (one
 * client guessing), more per account (many addresses guessing one account, which also locks the
 * admin out for the rest of the window — the price of stopping a distributed guess).
 */
export const dashboardLoginLimits = {
  perAddress: { failures: 10, durationS: 15 * 60 },
  perAccount: { failures: 100, durationS: 15 * 60 },
} as const;

// Hashing first makes the comparison constant-time whatever the lengths.
const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

/**
 * HTTP basic auth against one account; the email is compared case-insensitively. Every attempt
 * with credentials goes through `throttle` first: past its limits the answer is 429 with
 * `retry-after`, and the credentials are not even checked.
 */
export function basicAuth(account: { email: string; password: string }, realm: string, throttle: LoginThrottle): RequestHandler {
  const challenge: RequestHandler = (_req, res) => {
    res.set('www-authenticate', `Basic realm="${realm}", charset="UTF-8"`).status(401).type('text').send('Authentication required.');
  };
  return async (req, res, next) => {
    const [scheme, encoded] = (req.get('authorization') ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'basic' || !encoded) return challenge(req, res, next);
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const email = colon > 0 ? decoded.slice(0, colon) : decoded;
    const attempt = await throttle.attempt(req.ip ?? req.socket.remoteAddress ?? 'unknown', email);
    if ('retryAfterS' in attempt) {
      req.log?.warn({ retryAfterS: attempt.retryAfterS }, 'dashboard login throttled');
      res.set('retry-after', String(attempt.retryAfterS)).status(429).type('text').send('Too many failed logins; try again later.');
      return;
    }
    // Both are compared every time, so a wrong email takes as long as a wrong password.
    const emailMatches = sameSecret(email.toLowerCase(), account.email.toLowerCase());
    const passwordMatches = colon > 0 && sameSecret(decoded.slice(colon + 1), account.password);
    const succeeded = emailMatches && passwordMatches;
    await attempt.settle(succeeded);
    if (succeeded) return next();
    req.log?.warn('dashboard login failed');
    challenge(req, res, next);
  };
}

const descriptions: Record<string, string> = {
  payments: 'charge-payment: captures, most slots',
  reservations: 'reserve-stock, release-stock',
  refunds: 'refund-payment',
  expiries: 'expire-order, added by the expiry sweep once an order awaited payment RESERVATION_TTL_MS',
  [DEAD_LETTER_QUEUE]: 'jobs that exhausted their attempts; not processed',
};

export interface DashboardOptions {
  admin: { email: string; password: string };
  /** Failed logins, counted across every workers replica (see `createLoginThrottle`). */
  throttle: LoginThrottle;
}

/**
 * The bull-board dashboard of every queue at `/queues`, for the admin only: never framed, logins
 * throttled, and changes accepted only from the dashboard's own page (see `sameOriginWrites`).
 */
export function mountDashboard(app: Express, queues: QueueSet, { admin, throttle }: DashboardOptions): void {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queueNames.map(
      (name) =>
        // Retrying a dead letter in place would leave it waiting on a queue no worker reads.
        new BullMQAdapter(queues[name], { description: descriptions[name] ?? '', allowRetries: name !== DEAD_LETTER_QUEUE }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Shopgraph queues' } },
  });
  app.use(DASHBOARD_PATH, antiFraming, basicAuth(admin, 'Shopgraph queues', throttle), sameOriginWrites, serverAdapter.getRouter());
}
