import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import { requireApiKey } from './api-key.js';
import type { Simulator } from './simulator.js';

const tokenRequest = z.object({ card: z.string().max(64) });
const chargeRequest = z.object({
  token: z.string().min(1).max(100),
  amount: z.int().positive().max(100_000_000),
  currency: z.string().regex(/^[A-Za-z]{3}$/, 'must be an ISO 4217 code').transform((code) => code.toUpperCase()),
});
const refundRequest = z.object({ charge: z.string().min(1).max(100) });
const idempotencyKey = z.string().min(1).max(255);

const invalidRequest = (res: Response, message: string) =>
  res.status(400).json({ error: { type: 'invalid_request_error', code: 'invalid_request', message } });

/** The error message of a zod failure, naming fields but never echoing their values (a card). */
const describe = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');

/**
 * The Stripe-like `/v1` API over a simulator, every route behind the secret `apiKey`
 * (`requireApiKey`). Request bodies are never logged: they hold card numbers.
 */
export function providerRoutes(simulator: Simulator, registry: Registry, apiKey: string): Router {
  const charges = new Counter({
    name: 'payment_provider_charge_requests_total',
    help: 'Charge requests by HTTP status, and whether the answer was a stored replay',
    labelNames: ['status', 'replayed'],
    registers: [registry],
  });
  const router = express.Router();
  // Before the body is read: a caller without the key gets nothing parsed, stored or answered.
  router.use(requireApiKey(apiKey));
  router.use(express.json({ limit: '16kb' }));

  router.post('/tokens', async (req, res) => {
    const body = tokenRequest.safeParse(req.body);
    if (!body.success) return invalidRequest(res, describe(body.error));
    const { status, body: answer } = await simulator.tokenize(body.data.card);
    res.status(status).json(answer);
  });

  router.post('/charges', async (req, res) => {
    const key = idempotencyKey.safeParse(req.get('idempotency-key'));
    if (!key.success) return invalidRequest(res, 'The Idempotency-Key header is required.');
    const body = chargeRequest.safeParse(req.body);
    if (!body.success) return invalidRequest(res, describe(body.error));
    const { status, body: answer, replayed } = await simulator.charge(body.data, key.data);
    charges.inc({ status, replayed: String(replayed) });
    if (replayed) res.set('idempotent-replayed', 'true');
    res.status(status).json(answer);
  });

  router.get('/charges', (req, res) => {
    const key = typeof req.query.idempotency_key === 'string' ? req.query.idempotency_key : undefined;
    res.json(simulator.listCharges(key));
  });

  router.post('/refunds', async (req, res) => {
    const key = idempotencyKey.safeParse(req.get('idempotency-key'));
    if (!key.success) return invalidRequest(res, 'The Idempotency-Key header is required.');
    const body = refundRequest.safeParse(req.body);
    if (!body.success) return invalidRequest(res, describe(body.error));
    const { status, body: answer, replayed } = await simulator.refund(body.data.charge, key.data);
    if (replayed) res.set('idempotent-replayed', 'true');
    res.status(status).json(answer);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: { type: 'invalid_request_error', code: 'not_found', message: 'Unrecognized request URL.' } });
  });
  // Malformed JSON and oversized bodies, in the provider's error shape.
  router.use((error: { status?: number; message?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) req.log.error({ err: error }, 'payment provider request failed');
    res.status(status).json({
      error: status === 500
        ? { type: 'api_error', code: 'internal_error', message: 'Internal error.' }
        : { type: 'invalid_request_error', code: 'invalid_request', message: 'Malformed request body.' },
    });
  });
  return router;
}
