import { describe, expect, it } from 'vitest';
import { MAX_SIGNATURE_SKEW_MS, signRequest, verifySignedRequest } from './internal-auth.js';

const secret = 'a-secret-of-at-least-thirty-two-characters';
const body = JSON.stringify({ query: '{ me { id } }' });
const viewer = { id: 'u1', role: 'CUSTOMER' as const };

describe('gateway request signatures', () => {
  it('carries the viewer through a valid signature', () => {
    expect(verifySignedRequest(secret, signRequest(secret, body, viewer), body)).toEqual({ ok: true, viewer });
    expect(verifySignedRequest(secret, signRequest(secret, body, null), body)).toEqual({ ok: true, viewer: null });
  });

  it('refuses another secret, another body, a swapped viewer, a stale timestamp and no signature', () => {
    expect(verifySignedRequest(secret, signRequest(`${secret}x`, body, viewer), body).ok).toBe(false);
    expect(verifySignedRequest(secret, signRequest(secret, body, viewer), `${body} `).ok).toBe(false);
    const forged = { ...signRequest(secret, body, viewer), 'x-shopgraph-viewer': Buffer.from(JSON.stringify({ id: 'u1', role: 'ADMIN' })).toString('base64url') };
    expect(verifySignedRequest(secret, forged, body).ok).toBe(false);
    const old = signRequest(secret, body, viewer, Date.now() - MAX_SIGNATURE_SKEW_MS - 1000);
    expect(verifySignedRequest(secret, old, body)).toEqual({ ok: false, reason: 'stale or malformed timestamp' });
    expect(verifySignedRequest(secret, {}, body)).toEqual({ ok: false, reason: 'unsigned request' });
  });
});
