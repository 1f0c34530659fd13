import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires `Authorization: Bearer <apiKey>` on every request it guards, as a real provider's
 * secret key is required (Stripe answers 401 `invalid_request_error` without one). The key is
 * compared as SHA-256 digests of equal length with `timingSafeEqual`, so neither its bytes nor its
 * length leak through the answer's timing. Refusals never echo what was sent.
 */
export function requireApiKey(apiKey: string): RequestHandler {
  const expected = digest(apiKey);
  return (req, res, next) => {
    const match = /^Bearer (\S+)$/i.exec(req.get('authorization') ?? '');
    if (match && timingSafeEqual(digest(match[1]!), expected)) return next();
    req.log.warn({ reason: match ? 'wrong API key' : 'no API key' }, 'payment provider request refused');
    res
      .status(401)
      .set('www-authenticate', 'Bearer realm="payment-provider"')
      .json({
        error: {
          type: 'invalid_request_error',
          code: match ? 'invalid_api_key' : 'api_key_missing',
          message: match
            ? 'Invalid API key provided.'
            : 'You did not provide an API key: send it in the Authorization header as a bearer token (Authorization: Bearer <PAYMENT_PROVIDER_KEY>).',
        },
      });
  };
}
