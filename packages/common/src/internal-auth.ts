import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { roles, type Viewer } from './viewer.js';

/**
 * Gateway → subgraph request signing. The gateway is the only holder of the bearer-token
 * check; it tells subgraphs who the viewer is in a header that only it can sign, bound to
 * the exact body and a timestamp so a captured request cannot be replayed with other input.
 */
export const signatureHeaders = {
  timestamp: 'x-shopgraph-timestamp',
  viewer: 'x-shopgraph-viewer',
  signature: 'x-shopgraph-signature',
} as const;

/** How far a signed request's clock may be from ours. */
export const MAX_SIGNATURE_SKEW_MS = 60_000;

const viewerSchema = z.object({ id: z.string().min(1), role: z.enum(roles) });

const sha256 = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');
const mac = (secret: string, timestamp: string, viewer: string, body: string | Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}\n${viewer}\n${sha256(body)}`).digest();

export function encodeViewer(viewer: Viewer | null): string {
  return viewer ? Buffer.from(JSON.stringify({ id: viewer.id, role: viewer.role })).toString('base64url') : '';
}

/** Headers to add to a subgraph request whose body is exactly `body`. */
export function signRequest(
  secret: string,
  body: string,
  viewer: Viewer | null,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  const encodedViewer = encodeViewer(viewer);
  return {
    [signatureHeaders.timestamp]: timestamp,
    [signatureHeaders.viewer]: encodedViewer,
    [signatureHeaders.signature]: mac(secret, timestamp, encodedViewer, body).toString('hex'),
  };
}

export type SignatureCheck = { ok: true; viewer: Viewer | null } | { ok: false; reason: string };

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Verifies a request signed by `signRequest`, in constant time. */
export function verifySignedRequest(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  now = Date.now(),
): SignatureCheck {
  const timestamp = headerValue(headers[signatureHeaders.timestamp]);
  const encodedViewer = headerValue(headers[signatureHeaders.viewer]) ?? '';
  const signature = headerValue(headers[signatureHeaders.signature]);
  if (!timestamp || !signature) return { ok: false, reason: 'unsigned request' };
  const sentAt = Number(timestamp);
  if (!Number.isFinite(sentAt) || Math.abs(now - sentAt) > MAX_SIGNATURE_SKEW_MS) {
    return { ok: false, reason: 'stale or malformed timestamp' };
  }
  const expected = mac(secret, timestamp, encodedViewer, body);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad signature' };
  }
  if (!encodedViewer) return { ok: true, viewer: null };
  const parsed = viewerSchema.safeParse(safeJson(Buffer.from(encodedViewer, 'base64url').toString('utf8')));
  return parsed.success ? { ok: true, viewer: parsed.data } : { ok: false, reason: 'malformed viewer' };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
