import { createHash, timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { DEAD_LETTER_QUEUE, queueNames, type QueueSet } from '@shopgraph/queues';
import type { Express, RequestHandler } from 'express';

export const DASHBOARD_PATH = '/queues';

// Hashing first makes the comparison constant-time whatever the lengths.
const sameSecret = (given: string, expected: string) =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

/** HTTP basic auth against one account; the email is compared case-insensitively. */
export function basicAuth(account: { email: string; password: string }, realm: string): RequestHandler {
  return (req, res, next) => {
    const [scheme, encoded] = (req.get('authorization') ?? '').split(' ');
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        // Both are compared every time, so a wrong email takes as long as a wrong password.
        const emailMatches = sameSecret(decoded.slice(0, colon).toLowerCase(), account.email.toLowerCase());
        const passwordMatches = sameSecret(decoded.slice(colon + 1), account.password);
        if (emailMatches && passwordMatches) return next();
      }
    }
    res.set('www-authenticate', `Basic realm="${realm}", charset="UTF-8"`).status(401).type('text').send('Authentication required.');
  };
}

const descriptions: Record<string, string> = {
  payments: 'charge-payment: captures, most slots',
  reservations: 'reserve-stock, release-stock',
  refunds: 'refund-payment',
  expiries: 'expire-order, delayed by RESERVATION_TTL_MS',
  [DEAD_LETTER_QUEUE]: 'jobs that exhausted their attempts; not processed',
};

/** The bull-board dashboard of every queue at `/queues`, for the admin only. */
export function mountDashboard(app: Express, queues: QueueSet, admin: { email: string; password: string }): void {
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
  app.use(DASHBOARD_PATH, basicAuth(admin, 'Shopgraph queues'), serverAdapter.getRouter());
}
