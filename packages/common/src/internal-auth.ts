import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { RedisClient } from './redis.js';
import { roles, type Viewer } from './viewer.js';

/**
 * Gateway → subgraph request signing. The gateway is the only holder of the bearer-token check;
 * it tells a subgraph who the viewer is in headers that only it can sign. A signature is good for
 * exactly one request: it binds the HTTP method, the path and query string, the subgraph it is
 * meant for (the audience), the exact body, the viewer, a timestamp and a one-time nonce, which
 * the subgraph remembers (`NonceStore`) for as long as the signature could otherwise be accepted.
 */
export const signatureHeaders = {
  timestamp: 'x-shopgraph-timestamp',
  nonce: 'x-shopgraph-nonce',
  viewer: 'x-shopgraph-viewer',
  signature: 'x-shopgraph-signature',
} as const;

/** How far a signed request's clock may be from ours. */
export const MAX_SIGNATURE_SKEW_MS = 30_000;

/** The request a signature is made for, besides its viewer. */
export interface SignedTarget {
  method: string;
  /**
   * Where the request goes: a full URL (the signer's view) or the request target as received
   * (`/graphql?x=1`, the verifier's view). Only the path and query string are signed: the host
   * differs between the two sides behind a Service or a proxy, the audience names the receiver.
   */
  url: string;
  /** The receiving subgraph's name, as the supergraph names it (`products`). */
  audience: string;
  /** The exact bytes of the body. */
  body: string | Buffer;
}

const viewerSchema = z.object({ id: z.string().min(1), role: z.enum(roles), sessionId: z.string().min(1).optional() });

/** A nonce as `signRequest` makes it (a UUID), or anything of that size and alphabet. */
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;

/** Path and query string of a URL or of a request target, exactly as sent on the request line. */
function pathAndQuery(url: string): string {
  if (url.startsWith('/')) return url;
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/*
 * One HMAC pass over the fields and then the body: the fields come first, one per line, and none
 * can hold a newline (HTTP forbids it in a method, request target and header value), so no two
 * requests sign the same bytes, and the body is read once.
 */
function mac(secret: string, target: SignedTarget, timestamp: string, nonce: string, viewer: string): Buffer {
  const fields = `shopgraph-v2\n${target.method.toUpperCase()}\n${target.audience}\n${pathAndQuery(target.url)}\n${timestamp}\n${nonce}\n${viewer}\n`;
  return createHmac('sha256', secret).update(fields).update(target.body).digest();
}

export function encodeViewer(viewer: Viewer | null): string {
  // sessionId: the sign-in the bearer token names, which the users subgraph's logout ends.
  return viewer ? Buffer.from(JSON.stringify({ id: viewer.id, role: viewer.role, sessionId: viewer.sessionId })).toString('base64url') : '';
}

/** Headers for one request to `target`, made for `viewer`; a new nonce each call, so sign each attempt. */
export function signRequest(secret: string, target: SignedTarget, viewer: Viewer | null, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const nonce = randomUUID();
  const encodedViewer = encodeViewer(viewer);
  return {
    [signatureHeaders.timestamp]: timestamp,
    [signatureHeaders.nonce]: nonce,
    [signatureHeaders.viewer]: encodedViewer,
    [signatureHeaders.signature]: mac(secret, target, timestamp, nonce, encodedViewer).toString('hex'),
  };
}

export type SignatureCheck =
  | {
      ok: true;
      viewer: Viewer | null;
      /** The request's one-time id: claim it in a `NonceStore` before serving the request. */
      nonce: string;
      /** How long to remember the nonce from now (see `nonceMemoryMs`). */
      nonceTtlMs: number;
    }
  | { ok: false; reason: string };

/**
 * How long a nonce signed at `sentAt` must be remembered from `now`: until the timestamp plus twice
 * the skew, which outlives the signature here and on every replica whose clock is within the skew
 * of this one.
 */
export const nonceMemoryMs = (sentAt: number, now: number) => sentAt + 2 * MAX_SIGNATURE_SKEW_MS - now;

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Verifies, in constant time, that `headers` were made by `signRequest` for exactly this request
 * (`target` as received) within the skew. A replay of the same request passes this check: the
 * caller must also claim the nonce it returns in a `NonceStore`.
 */
export function verifySignedRequest(
  secret: string,
  target: SignedTarget,
  headers: Record<string, string | string[] | undefined>,
  now = Date.now(),
): SignatureCheck {
  const timestamp = headerValue(headers[signatureHeaders.timestamp]);
  const nonce = headerValue(headers[signatureHeaders.nonce]);
  const encodedViewer = headerValue(headers[signatureHeaders.viewer]) ?? '';
  const signature = headerValue(headers[signatureHeaders.signature]);
  if (!timestamp || !signature) return { ok: false, reason: 'unsigned request' };
  if (!nonce || !NONCE.test(nonce)) return { ok: false, reason: 'missing or malformed nonce' };
  const sentAt = Number(timestamp);
  if (!Number.isSafeInteger(sentAt) || Math.abs(now - sentAt) > MAX_SIGNATURE_SKEW_MS) {
    return { ok: false, reason: 'stale or malformed timestamp' };
  }
  const expected = mac(secret, target, timestamp, nonce, encodedViewer);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature (another secret, method, path, query, audience, body or viewer)' };
  }
  const remembered = { nonce, nonceTtlMs: nonceMemoryMs(sentAt, now) };
  if (!encodedViewer) return { ok: true, viewer: null, ...remembered };
  const parsed = viewerSchema.safeParse(safeJson(Buffer.from(encodedViewer, 'base64url').toString('utf8')));
  return parsed.success ? { ok: true, viewer: parsed.data, ...remembered } : { ok: false, reason: 'malformed viewer' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where the subgraphs remember the nonces of the signatures they accepted. */
export interface NonceStore {
  /**
   * Records `nonce` for `ttlMs`: true the first time, false while it is remembered (a replay).
   * Rejects when the store cannot answer; the request must then be refused.
   */
  claim(nonce: string, ttlMs: number): Promise<boolean>;
}

/** Default namespace of the nonces in Redis. */
export const SIGNATURE_NONCE_PREFIX = 'shopgraph:signature-nonce:';

/**
 * Nonces in Redis, shared by every replica of every subgraph: one `SET key 1 PX ttl NX` per
 * request, a single round trip that both checks and records (atomic, so of two identical requests
 * sent at once exactly one is served). One key per nonce, so it works on a Cluster too.
 */
export function createRedisNonceStore(redis: RedisClient, keyPrefix = SIGNATURE_NONCE_PREFIX): NonceStore {
  return {
    async claim(nonce, ttlMs) {
      return (await redis.set(`${keyPrefix}${nonce}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
  };
}
