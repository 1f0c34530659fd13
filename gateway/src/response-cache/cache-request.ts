import { hash } from 'node:crypto';
import { PUBLIC_SCOPE, userScope, type CacheKeys, type MissStart } from '@shopgraph/cache';
import type { Viewer } from '@shopgraph/common';
import type { SupergraphVersion } from './supergraph-version.js';

/** A POST that may be answered from the cache, with its keys. */
export interface CacheRequest {
  digest: string;
  viewer: Viewer | null;
  publicKey: string;
  /** The viewer's own entry; none for an anonymous viewer, whose PRIVATE answers are not kept. */
  privateKey: string | undefined;
  /** Identical concurrent misses may share one execution: the text shows no write. */
  coalescible: boolean;
  /** The supergraph version its keys belong to: its answer is kept only if still the one in service. */
  version: string;
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
const digestOf = (accept: string | undefined, rawBody: Buffer) =>
  DEFAULT_ACCEPT.has(accept) ? hash('sha256', rawBody, 'base64url') : `${hash('sha256', rawBody, 'base64url')}.${hash('sha256', accept!, 'base64url')}`;

/** A request's digest and public entry key, the same for every request of the same bytes. */
interface KeysOfBytes {
  digest: string;
  publicKey: string;
}

/** Bodies (in characters) whose keys `CacheRequests` remembers at most; past it, it starts again. */
const REMEMBERED_BODY_CHARS = 4 * 1024 * 1024;
/**
 * Longest body whose keys are remembered: queries a cache answers are small, and V8 hashes a
 * longer string by its length alone, so long bodies of one length would share a bucket.
 */
const REMEMBERED_BODY_MAX = 16 * 1024;

/** A body that may be answered from the cache: an operation object whose text (if any) shows no write. */
export function isReadOperation(body: unknown): body is Record<string, unknown> {
  if (!isRecord(body)) return false;
  const query = body.query;
  // No text at all is a persisted query by hash: it may be looked up, but not coalesced unseen.
  return query === undefined || (typeof query === 'string' && !WRITE_OPERATION.test(query));
}

/**
 * Entry keys: under the public scope, or the viewer's own; both set apart by the supergraph's
 * version and by `keyVariant` (a persisted operation allow-list), so entries stored under another
 * supergraph or list are never found.
 */
export class CacheRequests {
  private publicScope = '';
  /** The supergraph version the scopes and remembered keys were made for. */
  private version: string | undefined;
  /**
   * The keys of bodies seen before, by their exact bytes (latin1: one character per byte): those
   * sent with an `accept` that changes nothing, and apart from them, those sent with another,
   * that `accept` and a newline (which no header value holds) in front. A hit repeats the bytes of
   * an earlier request: a map lookup, which compares the whole text, instead of a SHA-256 per
   * request; and the same key strings, whose hashes V8 has kept, for the first level.
   */
  private readonly remembered = new Map<string, KeysOfBytes>();
  private readonly rememberedNegotiated = new Map<string, KeysOfBytes>();
  private rememberedChars = 0;

  constructor(
    private readonly keys: CacheKeys,
    private readonly keyVariant: string | undefined,
    private readonly supergraph: SupergraphVersion,
  ) {}

  private scoped(scope: string): string {
    const versioned = `${this.version}~${scope}`;
    return this.keyVariant === undefined ? versioned : `${this.keyVariant}~${versioned}`;
  }

  /** The request of body bytes `raw` (`accept` as sent) by `viewer`; `body` is its parse, if made. */
  of(accept: string | undefined, raw: Buffer, viewer: Viewer | null, body: Record<string, unknown> | undefined): CacheRequest {
    if (this.supergraph.current !== this.version) this.startVersion(this.supergraph.current);
    const { digest, publicKey } = this.keysOf(accept, raw);
    return {
      digest,
      viewer,
      publicKey,
      privateKey: viewer ? this.keys.entry(this.scoped(userScope(viewer.id)), digest) : undefined,
      coalescible: body?.query !== undefined,
      version: this.version!,
    };
  }

  /** A new supergraph: new scopes, and the keys remembered for the old one forgotten. */
  private startVersion(version: string): void {
    this.version = version;
    this.publicScope = this.scoped(PUBLIC_SCOPE);
    this.forget();
  }

  private forget(): void {
    this.remembered.clear();
    this.rememberedNegotiated.clear();
    this.rememberedChars = 0;
  }

  private keysOf(accept: string | undefined, raw: Buffer): KeysOfBytes {
    if (raw.length > REMEMBERED_BODY_MAX) return this.keysOfDigest(digestOf(accept, raw));
    const plain = DEFAULT_ACCEPT.has(accept);
    const remembered = plain ? this.remembered : this.rememberedNegotiated;
    const text = plain ? raw.toString('latin1') : `${accept}\n${raw.toString('latin1')}`;
    let keys = remembered.get(text);
    if (keys === undefined) {
      keys = this.keysOfDigest(digestOf(accept, raw));
      if (this.rememberedChars + text.length > REMEMBERED_BODY_CHARS) this.forget();
      remembered.set(text, keys);
      this.rememberedChars += text.length;
    }
    return keys;
  }

  private keysOfDigest(digest: string): KeysOfBytes {
    return { digest, publicKey: this.keys.entry(this.publicScope, digest) };
  }
}
