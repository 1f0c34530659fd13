import { hash } from 'node:crypto';
import { cacheKeys } from '@shopgraph/cache';
import { describe, expect, it } from 'vitest';
import { CacheRequests } from './cache-request.js';
import { SupergraphVersion } from './supergraph-version.js';

const keys = cacheKeys('sg:');
const sha = (bytes: Buffer | string) => hash('sha256', bytes, 'base64url');
const body = (text: string) => Buffer.from(text);
const viewer = { id: 'u1', role: 'CUSTOMER', sessionId: 's1' } as const;

/** A supergraph version holder with `sdl` loaded, and that version. */
function supergraphOf(sdl: string) {
  const supergraph = new SupergraphVersion();
  supergraph.loaded(sdl);
  return { supergraph, v: supergraph.current };
}

describe('CacheRequests', () => {
  it('keys a body by the SHA-256 of its bytes, and of accept when it changes the content type', () => {
    const { supergraph, v } = supergraphOf('type Query { a: Int }');
    const requests = new CacheRequests(keys, undefined, supergraph);
    const raw = body('{"query":"{ a }"}');
    for (const accept of [undefined, '*/*', 'application/json']) {
      expect(requests.of(accept, raw, null, undefined)).toMatchObject({ digest: sha(raw), publicKey: keys.entry(`${v}~pub`, sha(raw)), privateKey: undefined });
    }
    const negotiated = 'application/graphql-response+json';
    expect(requests.of(negotiated, raw, viewer, undefined)).toMatchObject({
      digest: `${sha(raw)}.${sha(negotiated)}`,
      publicKey: keys.entry(`${v}~pub`, `${sha(raw)}.${sha(negotiated)}`),
      privateKey: keys.entry(`${v}~u:u1`, `${sha(raw)}.${sha(negotiated)}`),
    });
  });

  it('gives a body seen before the keys it had, and never another body’s, however their bytes meet', () => {
    const { supergraph, v } = supergraphOf('type Query { a: Int }');
    const requests = new CacheRequests(keys, 'list-1', supergraph);
    // The bytes of one request are the accept, a newline and the body of another.
    const cases: [string | undefined, Buffer][] = [
      ['a', body('b')],
      [undefined, body('a\nb')],
      ['', body('a\nb')],
      ['application/json', body('a\nb')],
      [undefined, Buffer.from([0xff, 0x00, 0x41])],
      [undefined, Buffer.from('ÿ\u0000A')],
      // Long bodies are hashed every time, never remembered.
      [undefined, Buffer.alloc(20_000, 'a')],
      ['a', Buffer.alloc(20_000, 'b')],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [accept, raw] of cases) {
        const digest = accept === undefined || accept === 'application/json' ? sha(raw) : `${sha(raw)}.${sha(accept)}`;
        expect(requests.of(accept, raw, viewer, undefined)).toMatchObject({
          digest,
          publicKey: keys.entry(`list-1~${v}~pub`, digest),
          privateKey: keys.entry(`list-1~${v}~u:u1`, digest),
        });
      }
    }
  });

  it('keys the same bytes apart under each supergraph version, remembered keys included', () => {
    const { supergraph, v: before } = supergraphOf('type Query { a: Int, b: Int }');
    const requests = new CacheRequests(keys, undefined, supergraph);
    const raw = body('{"query":"{ b }"}');
    expect(requests.of(undefined, raw, viewer, undefined)).toMatchObject({ version: before, publicKey: keys.entry(`${before}~pub`, sha(raw)) });
    supergraph.loaded('type Query { a: Int }');
    const after = supergraph.current;
    expect(after).not.toBe(before);
    expect(requests.of(undefined, raw, viewer, undefined)).toMatchObject({
      version: after,
      publicKey: keys.entry(`${after}~pub`, sha(raw)),
      privateKey: keys.entry(`${after}~u:u1`, sha(raw)),
    });
  });

  it('coalesces only requests whose parse shows the operation text', () => {
    const requests = new CacheRequests(keys, undefined, supergraphOf('type Query { a: Int }').supergraph);
    const raw = body('{"query":"{ a }"}');
    expect(requests.of(undefined, raw, null, { query: '{ a }' }).coalescible).toBe(true);
    expect(requests.of(undefined, raw, null, { extensions: {} }).coalescible).toBe(false);
    expect(requests.of(undefined, raw, null, undefined).coalescible).toBe(false);
  });
});
