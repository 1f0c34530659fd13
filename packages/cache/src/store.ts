import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisClient } from '@shopgraph/common';
import type { FirstLevelEntry } from './first-level.js';
import { expandTags, type CacheKeys } from './keys.js';

/** A response as the cache keeps it: the exact bytes sent, the headers that describe them, its tags. */
export interface CachedResponse extends FirstLevelEntry {
  body: Buffer;
  /** Response headers to send with the body (content type, cache-control …). */
  headers: readonly (readonly [string, string])[];
  /** Epoch milliseconds. */
  storedAt: number;
  /** Until then the entry is fresh; after it, up to `staleUntil`, it may be served stale while revalidated. */
  freshUntil: number;
  staleUntil: number;
  tags: readonly string[];
}

/** When a miss began: the invalidation epoch its lookup saw, and the clock. */
export interface MissStart {
  epoch: number;
  at: number;
}

/**
 * How long a purge is remembered, so that a response read before the purge and stored after it
 * is refused. A miss that took longer than half of this is not stored at all.
 */
export const INVALIDATION_MEMORY_MS = 10 * 60_000;

// Reconnect forever, backing off to 2 s: a Redis restart is ridden out, never fatal.
const retryStrategy = (times: number) => Math.min(times * 100, 2000);

/**
 * A Redis connection for the cache, to what `url` names (one server, Sentinel or Cluster). `reads`
 * fails at once while Redis is away (a lookup that fails is a miss, never a wait); `writes` waits
 * through a short reconnect, since a purge that is dropped would leave old data behind;
 * `subscriber` listens for purges. On a cluster every key of the cache shares the prefix's hash
 * tag, so its scripts and multi-key reads run on the one master holding that slot.
 */
export function createCacheConnection(url: string, role: 'reads' | 'writes' | 'subscriber'): RedisClient {
  const connectionName = `shopgraph:cache:${role}`;
  switch (role) {
    case 'reads':
      // Auto-pipelined: the lookups of the requests read in one turn of the event loop share a write.
      return createRedisClient(url, {
        connectionName,
        retryStrategy,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: 1000,
        enableAutoPipelining: true,
      });
    case 'writes':
      return createRedisClient(url, { connectionName, retryStrategy, maxRetriesPerRequest: 5 });
    case 'subscriber':
      // Subscriptions are renewed by InvalidationListener on every `ready`, after it resynchronises
      // (a cluster also renews them itself when it moves its subscriber connection to another node).
      return createRedisClient(url, { connectionName, retryStrategy, autoResubscribe: false, maxRetriesPerRequest: null });
  }
}

/*
 * KEYS: entry, epoch, tag sets (n), invalidation markers (n). ARGV: value, ttl ms, since epoch, n.
 * Refuses (-1) when one of the tags was purged after the miss's lookup: its data may predate
 * the change. Tag sets are scored by expiry and pruned as they grow, so they never outlive use.
 */
const STORE_LUA = `
local n = tonumber(ARGV[4])
local since = tonumber(ARGV[3])
for i = 1, n do
  local purgedAt = redis.call('GET', KEYS[2 + n + i])
  if purgedAt and tonumber(purgedAt) > since then return -1 end
end
local ttl = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 1, n do
  local tag = KEYS[2 + i]
  redis.call('ZREMRANGEBYSCORE', tag, '-inf', now)
  redis.call('ZADD', tag, now + ttl, KEYS[1])
  if redis.call('PTTL', tag) < ttl then redis.call('PEXPIRE', tag, ttl) end
end
return tonumber(redis.call('GET', KEYS[2]) or '0')
`;

/*
 * `invalidate(k, n, markerTtlMs, channel, tagsJson)`: KEYS[k] is the epoch, KEYS[k+1 … k+n] the
 * tag sets, KEYS[k+n+1 … k+2n] the invalidation markers. One atomic step: a new epoch, every entry
 * of every tag deleted, the markers set, and the purge published, so no process can see the
 * entries gone without the epoch having moved. A Lua function, so that a script doing more in the
 * same round trip (`entity-events.ts`) purges exactly as this one does.
 */
export const INVALIDATE_FUNCTION = `
local function invalidate(k, n, markerTtlMs, channel, tagsJson)
  local epoch = redis.call('INCR', KEYS[k])
  local purged = 0
  for i = 1, n do
    local members = redis.call('ZRANGE', KEYS[k + i], 0, -1)
    for _, key in ipairs(members) do purged = purged + redis.call('UNLINK', key) end
    redis.call('UNLINK', KEYS[k + i])
    redis.call('SET', KEYS[k + n + i], epoch, 'PX', markerTtlMs)
  end
  redis.call('PUBLISH', channel, epoch .. ' ' .. tagsJson)
  return { epoch, purged }
end
`;

/* KEYS: epoch, tag sets (n), invalidation markers (n). ARGV: marker ttl ms, channel, tags JSON. */
const INVALIDATE_LUA = `${INVALIDATE_FUNCTION}
return invalidate(1, (#KEYS - 1) / 2, ARGV[1], ARGV[2], ARGV[3])
`;

/** The keys and arguments of `invalidate` for `tags` (expanded by `expandTags`), as `INVALIDATE_FUNCTION` reads them. */
export function invalidationOf(keys: CacheKeys, tags: Iterable<string>) {
  const expanded = expandTags(tags);
  return {
    expanded,
    keys: [keys.epoch, ...expanded.map(keys.tag), ...expanded.map(keys.invalidatedAt)],
    args: [INVALIDATION_MEMORY_MS, keys.channel, JSON.stringify(expanded)] as const,
  };
}

/* KEYS: a revalidation claim. ARGV: the claim's token. Deletes it only if it is still that claim. */
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A Lua script called by its SHA: keys first, then arguments. */
export type Script = (numberOfKeys: number, ...keysAndArgs: (string | Buffer | number)[]) => Promise<unknown>;

/** `lua` as a command of `redis` named `name`, defined once per connection. */
export function defineScript(redis: RedisClient, name: string, lua: string): Script {
  // ioredis sends EVALSHA and falls back to EVAL once per connection.
  if (!(name in redis)) redis.defineCommand(name, { lua });
  const command = (redis as unknown as Record<string, Script>)[name]!;
  return command.bind(redis);
}

const NEWLINE = 0x0a;

interface EntryMeta {
  h: [string, string][];
  s: number;
  f: number;
  x: number;
  t: string[];
}

/** One line of JSON metadata, then the body bytes untouched (JSON escapes every newline it holds). */
function encodeEntry(entry: CachedResponse): Buffer {
  const meta: EntryMeta = {
    h: entry.headers.map(([name, value]) => [name, value]),
    s: entry.storedAt,
    f: entry.freshUntil,
    x: entry.staleUntil,
    t: [...entry.tags],
  };
  return Buffer.concat([Buffer.from(`${JSON.stringify(meta)}\n`), entry.body]);
}

function decodeEntry(stored: Buffer): CachedResponse {
  const end = stored.indexOf(NEWLINE);
  const meta = JSON.parse(stored.subarray(0, end).toString()) as EntryMeta;
  return { headers: meta.h, storedAt: meta.s, freshUntil: meta.f, staleUntil: meta.x, tags: meta.t, body: stored.subarray(end + 1) };
}

/** The result of one purge. */
export interface Invalidation {
  /** The purge's place in the order of all purges. */
  epoch: number;
  /** Entries deleted from Redis. */
  purged: number;
  /** The tags purged, expanded (`Product:42` also purges `Product:?`). */
  tags: string[];
}

/**
 * The second level: cached responses in Redis with their tag index. Lookups go through `reads`,
 * everything that changes Redis through `writes`.
 */
export class ResponseStore {
  private readonly storeScript: Script;
  private readonly invalidateScript: Script;
  private readonly releaseScript: Script;

  constructor(
    private readonly reads: RedisClient,
    private readonly writes: RedisClient,
    readonly keys: CacheKeys,
  ) {
    this.storeScript = defineScript(writes, 'shopgraphCacheStore', STORE_LUA);
    this.invalidateScript = defineScript(writes, 'shopgraphCacheInvalidate', INVALIDATE_LUA);
    this.releaseScript = defineScript(writes, 'shopgraphCacheRelease', RELEASE_LUA);
  }

  /** In one round trip: the entries under `entryKeys` (null where absent) and the current epoch. */
  async lookup(entryKeys: readonly string[]): Promise<{ entries: (CachedResponse | null)[]; epoch: number }> {
    const replies = await this.reads.mgetBuffer(...entryKeys, this.keys.epoch);
    const epoch = replies.pop();
    return { entries: replies.map((reply) => (reply ? decodeEntry(reply) : null)), epoch: epoch ? Number(epoch.toString()) : 0 };
  }

  /** The current invalidation epoch. */
  async epoch(): Promise<number> {
    return Number((await this.writes.get(this.keys.epoch)) ?? 0);
  }

  /**
   * Stores `entry` under `entryKey` and indexes it by its tags, unless one of them was purged
   * since `since` (the data may then be older than the purge) or the miss took too long to
   * tell. Resolves with the epoch it was stored at, or null when refused.
   */
  async store(entryKey: string, entry: CachedResponse, since: MissStart): Promise<number | null> {
    if (Date.now() - since.at > INVALIDATION_MEMORY_MS / 2) return null;
    const ttlMs = Math.max(1, entry.staleUntil - Date.now());
    const tags = entry.tags;
    const keys = [entryKey, this.keys.epoch, ...tags.map(this.keys.tag), ...tags.map(this.keys.invalidatedAt)];
    const epoch = (await this.storeScript(keys.length, ...keys, encodeEntry(entry), ttlMs, since.epoch, tags.length)) as number;
    return epoch < 0 ? null : epoch;
  }

  /**
   * Deletes every entry holding one of `tags` (expanded by `expandTags`) and tells every
   * process, through the invalidation channel, to drop them from its first level.
   */
  async invalidate(tags: Iterable<string>): Promise<Invalidation> {
    const { expanded, keys, args } = invalidationOf(this.keys, tags);
    const [epoch, purged] = (await this.invalidateScript(keys.length, ...keys, ...args)) as [number, number];
    return { epoch, purged, tags: expanded };
  }

  /**
   * For the one caller (across processes) that may revalidate `entryKey` until it is done or
   * `ttlMs` have passed: the claim to hand back to `releaseRevalidation`; null for the others.
   */
  async claimRevalidation(entryKey: string, ttlMs: number): Promise<string | null> {
    const claim = randomUUID();
    return (await this.writes.set(this.keys.revalidation(entryKey), claim, 'PX', ttlMs, 'NX')) === 'OK' ? claim : null;
  }

  /** Ends a revalidation, so the entry's next expiry is revalidated at once rather than after the claim's ttl. */
  async releaseRevalidation(entryKey: string, claim: string): Promise<void> {
    await this.releaseScript(1, this.keys.revalidation(entryKey), claim);
  }
}

/** Parses a message of the invalidation channel: `<epoch> <JSON array of tags>`. */
export function parseInvalidationMessage(message: string): { epoch: number; tags: string[] } | null {
  const space = message.indexOf(' ');
  const epoch = Number(message.slice(0, space));
  if (space < 0 || !Number.isInteger(epoch)) return null;
  try {
    const tags: unknown = JSON.parse(message.slice(space + 1));
    return Array.isArray(tags) && tags.every((tag) => typeof tag === 'string') ? { epoch, tags } : null;
  } catch {
    return null;
  }
}
