import type { CachedResponse, MissStart, ResponseStore } from './store.js';

/** The cache's tests' entries: `body` tagged with `tags`, fresh (and no longer) for `ttlMs`. */
export function cachedResponse(body: string, tags: string[], ttlMs = 60_000): CachedResponse {
  const now = Date.now();
  return {
    body: Buffer.from(body),
    headers: [['content-type', 'application/json; charset=utf-8'], ['cache-control', 'max-age=60, public']],
    storedAt: now,
    freshUntil: now + ttlMs,
    staleUntil: now + ttlMs,
    tags,
  };
}

/** A miss beginning now, as the gateway starts one: the epoch its lookup saw. */
export async function missStart(store: ResponseStore): Promise<MissStart> {
  return { epoch: (await store.lookup([])).epoch, at: Date.now() };
}
