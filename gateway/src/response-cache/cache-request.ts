import { hash } from 'node:crypto';
import { PUBLIC_SCOPE, userScope, type CacheKeys, type MissStart } from '@shopgraph/cache';
import type { Viewer } from '@shopgraph/common';

/** A POST that may be answered from the cache, with its keys. */
export interface CacheRequest {
  digest: string;
  viewer: Viewer | null;
  publicKey: string;
  /** The viewer's own entry; none for an anonymous viewer, whose PRIVATE answers are not kept. */
  privateKey: string | undefined;
  /** Identical concurrent misses may share one execution: the text shows no write. */
  coalescible: boolean;
  /** Set by the second-level lookup; without it (Redis away) nothing is stored. */
  since?: MissStart;
}

/** Words that make an operation a possible write; `\b` keeps `mutationCount` out. A false match only bypasses the cache. */
const WRITE_OPERATION = /\b(?:mutation|subscription)\b/;

/** `accept` values Apollo Server answers with plain application/json, as if none were sent. */
const DEFAULT_ACCEPT = new Set([undefined, '*/*', 'application/json']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The request's key material: the body bytes, and `accept` unless it changes nothing, since the
 * negotiated content type is part of what the bytes answer.
 */
export const digestOf = (accept: string | undefined, rawBody: Buffer) =>
  DEFAULT_ACCEPT.has(accept) ? hash('sha256', rawBody, 'base64url') : `${hash('sha256', rawBody, 'base64url')}.${hash('sha256', accept!, 'base64url')}`;

/** A body that may be answered from the cache: an operation object whose text (if any) shows no write. */
export function isReadOperation(body: unknown): body is Record<string, unknown> {
  if (!isRecord(body)) return false;
  const query = body.query;
  // No text at all is a persisted query by hash: it may be looked up, but not coalesced unseen.
  return query === undefined || (typeof query === 'string' && !WRITE_OPERATION.test(query));
}

/**
 * Entry keys: under the public scope, or the viewer's own; both set apart by `keyVariant` (a
 * persisted operation allow-list), so entries stored under another list are never found.
 */
export class CacheRequests {
  private readonly publicScope: string;

  constructor(
    private readonly keys: CacheKeys,
    private readonly keyVariant: string | undefined,
  ) {
    this.publicScope = this.scoped(PUBLIC_SCOPE);
  }

  private scoped(scope: string): string {
    return this.keyVariant === undefined ? scope : `${this.keyVariant}~${scope}`;
  }

  of(digest: string, viewer: Viewer | null, body: Record<string, unknown> | undefined): CacheRequest {
    return {
      digest,
      viewer,
      publicKey: this.keys.entry(this.publicScope, digest),
      privateKey: viewer ? this.keys.entry(this.scoped(userScope(viewer.id)), digest) : undefined,
      coalescible: body?.query !== undefined,
    };
  }
}
