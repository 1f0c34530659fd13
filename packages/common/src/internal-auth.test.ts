import { describe, expect, it } from 'vitest';
import { MAX_SIGNATURE_SKEW_MS, signatureHeaders, signRequest, verifySignedRequest, type SignedTarget } from './internal-auth.js';

const secret = 'a-secret-of-at-least-thirty-two-characters';
const body = JSON.stringify({ query: '{ me { id } }' });
const viewer = { id: 'u1', role: 'CUSTOMER' as const };
/** As the gateway signs a call: the replica's full URL. */
const signed: SignedTarget = { method: 'POST', url: 'http://orders:4003/graphql', audience: 'orders', body };
/** As the subgraph receives it: the request target of the request line. */
const received: SignedTarget = { ...signed, url: '/graphql' };

describe('gateway request signatures', () => {
  it('carries the viewer and a one-time nonce through a valid signature', () => {
    const headers = signRequest(secret, signed, viewer);
    expect(verifySignedRequest(secret, received, headers)).toEqual({
      ok: true,
      viewer,
      nonce: headers[signatureHeaders.nonce],
      nonceTtlMs: expect.any(Number),
    });
    expect(verifySignedRequest(secret, received, signRequest(secret, signed, null))).toMatchObject({ ok: true, viewer: null });
  });

  it('gives every signature a nonce of its own, remembered until the timestamp plus twice the skew', () => {
    const now = 1_700_000_000_000;
    const first = signRequest(secret, signed, viewer, now);
    const second = signRequest(secret, signed, viewer, now);
    expect(first[signatureHeaders.nonce]).not.toBe(second[signatureHeaders.nonce]);
    expect(verifySignedRequest(secret, received, first, now + 1000)).toMatchObject({ ok: true, nonceTtlMs: 2 * MAX_SIGNATURE_SKEW_MS - 1000 });
  });

  it('signs the path and query string, whatever host the URL names', () => {
    const withQuery = { ...signed, url: 'http://10.0.0.7:4003/graphql?x=1' };
    expect(verifySignedRequest(secret, { ...received, url: '/graphql?x=1' }, signRequest(secret, withQuery, viewer)).ok).toBe(true);
  });

  it.each<[string, Partial<SignedTarget>]>([
    ['another method', { method: 'GET' }],
    ['another path', { url: '/graphql/other' }],
    ['a query string added', { url: '/graphql?query=%7B__typename%7D' }],
    ['another audience (subgraph)', { audience: 'users' }],
    ['another body', { body: `${body} ` }],
    ['an empty body', { body: '' }],
  ])('refuses the signature of a request sent with %s', (_, change) => {
    const check = verifySignedRequest(secret, { ...received, ...change }, signRequest(secret, signed, viewer));
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('bad signature') });
  });

  it.each<[string, (headers: Record<string, string>) => Record<string, string>]>([
    ['a swapped viewer', (h) => ({ ...h, [signatureHeaders.viewer]: Buffer.from(JSON.stringify({ id: 'u1', role: 'ADMIN' })).toString('base64url') })],
    ['the viewer removed', (h) => ({ ...h, [signatureHeaders.viewer]: '' })],
    ['another nonce', (h) => ({ ...h, [signatureHeaders.nonce]: '00000000-0000-4000-8000-000000000000' })],
    ['another timestamp', (h) => ({ ...h, [signatureHeaders.timestamp]: String(Number(h[signatureHeaders.timestamp]) + 1) })],
  ])('refuses headers with %s', (_, tamper) => {
    expect(verifySignedRequest(secret, received, tamper(signRequest(secret, signed, viewer)))).toEqual({
      ok: false,
      reason: expect.stringContaining('bad signature'),
    });
  });

  it('refuses another secret, a stale or future timestamp, no nonce and no signature', () => {
    expect(verifySignedRequest(secret, received, signRequest(`${secret}x`, signed, viewer)).ok).toBe(false);
    const now = Date.now();
    for (const sentAt of [now - MAX_SIGNATURE_SKEW_MS - 1, now + MAX_SIGNATURE_SKEW_MS + 1]) {
      expect(verifySignedRequest(secret, received, signRequest(secret, signed, viewer, sentAt), now)).toEqual({
        ok: false,
        reason: 'stale or malformed timestamp',
      });
    }
    const { [signatureHeaders.nonce]: _nonce, ...withoutNonce } = signRequest(secret, signed, viewer);
    expect(verifySignedRequest(secret, received, withoutNonce)).toEqual({ ok: false, reason: 'missing or malformed nonce' });
    expect(verifySignedRequest(secret, received, {})).toEqual({ ok: false, reason: 'unsigned request' });
  });
});
