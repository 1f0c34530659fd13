import { createHash } from 'node:crypto';

/**
 * Every Redis key and channel of the response cache, under one prefix. Layout (P = prefix):
 *
 * - `P e:<scope>:<digest>` a cached response: its metadata line, then the exact response bytes
 * - `P t:<tag>`            sorted set of the entry keys holding that tag, scored by expiry
 * - `P i:<tag>`            the invalidation epoch at which the tag was last purged
 * - `P r:<entry>`          a short lock: one process revalidates a stale entry
 * - `P epoch`              counts invalidations, one per purge
 * - `P invalidations`      pub/sub channel: `<epoch> <JSON array of tags>` per purge
 */
export interface CacheKeys {
  readonly prefix: string;
  entry(scope: string, digest: string): string;
  tag(tag: string): string;
  invalidatedAt(tag: string): string;
  revalidation(entryKey: string): string;
  readonly epoch: string;
  readonly channel: string;
}

export function cacheKeys(prefix: string): CacheKeys {
  return {
    prefix,
    entry: (scope, digest) => `${prefix}e:${scope}:${digest}`,
    tag: (tag) => `${prefix}t:${tag}`,
    invalidatedAt: (tag) => `${prefix}i:${tag}`,
    revalidation: (entryKey) => `${prefix}r:${entryKey.slice(prefix.length)}`,
    epoch: `${prefix}epoch`,
    channel: `${prefix}invalidations`,
  };
}

/** The scope of responses everybody may be served. */
export const PUBLIC_SCOPE = 'pub';

/** The scope of one user's PRIVATE responses. */
export const userScope = (userId: string) => `u:${userId}`;

/**
 * The prefix when CACHE_KEY_PREFIX is not set: one namespace per platform database, so two
 * platforms sharing a Redis (a developer's and a test run's) never serve each other's data.
 * Host, port and database name only: the password stays out of anything written to Redis.
 * A hash tag (`{sg:cache:<hash>}:`): on a Redis Cluster the whole namespace is one slot, which
 * the cache's scripts and multi-key reads need.
 */
export function defaultCacheKeyPrefix(databaseUrl: string): string {
  let identity = databaseUrl;
  try {
    const url = new URL(databaseUrl);
    identity = `${url.hostname}:${url.port}${url.pathname}`;
  } catch {
    // An unparseable URL is refused by the env schema before this is reached; hash it as given.
  }
  return `{sg:cache:${createHash('sha256').update(identity).digest('hex').slice(0, 12)}}:`;
}

/*
 * Tags name what a cached response holds; purging a tag deletes every response holding it.
 * GraphQL type names contain neither ':' nor '.', so the four forms never collide.
 */

/** `Product:42`: responses holding that entity. */
export const entityTag = (typename: string, id: string) => `${typename}:${id}`;

/** `Product:?`: responses holding a Product whose id they do not show; any Product change purges them. */
export const unidentifiedTag = (typename: string) => `${typename}:?`;

/** `Product`: responses holding any Product; purged when a Product of unknown id changed. */
export const typeTag = (typename: string) => typename;

/** `Query.products`: responses of a list root; purged when the list may gain or lose members. */
export const listTag = (field: string) => `Query.${field}`;

/**
 * The tags an invalidation of `tags` purges: each entity tag also purges the responses that
 * hold an unidentified entity of its type, since one of them may be that entity.
 */
export function expandTags(tags: Iterable<string>): string[] {
  const expanded = new Set<string>();
  for (const tag of tags) {
    expanded.add(tag);
    const colon = tag.indexOf(':');
    if (colon > 0 && tag.slice(colon + 1) !== '?') expanded.add(unidentifiedTag(tag.slice(0, colon)));
  }
  return [...expanded];
}
