import { reportRedisOutages, type Logger, type RedisClient } from '@shopgraph/common';
import { cacheKeys } from './keys.js';
import { createCacheConnection, defineScript, INVALIDATE_FUNCTION, invalidationOf } from './store.js';

/**
 * "This entity changed": what a process that committed a change tells the gateways, which
 * re-read the entity for the subscriptions that watch it. Small on purpose: the gateway reads
 * the entity through the graph, as the subscriber, so nothing private travels on the channel.
 */
export interface EntityEvent {
  typename: string;
  id: string;
  /** Rises with every event of this entity (microseconds since the epoch, or one more than the last). */
  version: number;
  /** When the publisher published it (epoch ms): the start of the commit → push latency. */
  at: number;
}

/** The channel the events of the platform using `prefix` (the response cache's key prefix) are published on. */
export const entityEventsChannel = (prefix: string) => `${prefix}entity-events`;

const versionKey = (prefix: string, typename: string, id: string) => `${prefix}entity-version:${typename}:${id}`;

/** A version lives this long after the entity's last event; it starts again from the clock, which is later. */
const VERSION_TTL_MS = 24 * 60 * 60 * 1000;

/*
 * `publishEvents(k, m, channel, versionTtlMs, at, a)`: KEYS[k … k+m-1] are the entities' versions,
 * ARGV[a …] each entity's typename and id, in the same order. Each entity's version is taken and
 * its event published in one step, so the events of an entity leave Redis in version order (an
 * entity named twice gets two rising versions). A version is at least the server's clock in
 * microseconds, so it keeps rising after its key expired. On a cluster the keys share the
 * prefix's hash tag (env checks it), so the script runs on one node.
 */
const PUBLISH_FUNCTION = `
local function publishEvents(k, m, channel, versionTtlMs, at, a)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  for i = 1, m do
    local key = KEYS[k + i - 1]
    local version = math.max(tonumber(redis.call('GET', key) or '0') + 1, now)
    local text = string.format('%.0f', version)
    redis.call('SET', key, text, 'PX', versionTtlMs)
    redis.call('PUBLISH', channel, ARGV[a + 2 * i - 2] .. ' ' .. ARGV[a + 2 * i - 1] .. ' ' .. text .. ' ' .. at)
  end
  return m
end
`;

/*
 * KEYS: each entity's version. ARGV: channel, version ttl (ms), published at (ms), then each
 * entity's typename and id. One round trip for all of them.
 */
const PUBLISH_SCRIPT = `${PUBLISH_FUNCTION}
return publishEvents(1, #KEYS, ARGV[1], ARGV[2], ARGV[3], 4)
`;

/*
 * The response cache's purge of n tags (store.ts), then the events: KEYS: the purge's 1 + 2n
 * keys, then each entity's version. ARGV: the purge's three arguments, n, then the events'
 * channel, version ttl, published at, typenames and ids. Purged before published, in one round
 * trip: a gateway that hears the event re-reads the entity past what was purged.
 */
const PURGE_AND_PUBLISH_SCRIPT = `${INVALIDATE_FUNCTION}${PUBLISH_FUNCTION}
local n = tonumber(ARGV[4])
local purge = invalidate(1, n, ARGV[1], ARGV[2], ARGV[3])
publishEvents(2 + 2 * n, #KEYS - 1 - 2 * n, ARGV[5], ARGV[6], ARGV[7], 8)
return purge
`;

/** Parses a message of the events channel: `<typename> <id> <version> <at>`; null for anything else. */
export function parseEntityEvent(message: string): EntityEvent | null {
  const [typename, id, version, at, ...rest] = message.split(' ');
  if (!typename || !id || rest.length > 0) return null;
  const event = { typename, id, version: Number(version), at: Number(at) };
  return Number.isSafeInteger(event.version) && Number.isFinite(event.at) ? event : null;
}

/**
 * Publishes "changed" for each entity on `redis`, all of them in one round trip (EVALSHA), after
 * purging the gateways' cached entries holding one of `purgeTags` (as `ResponseStore.invalidate`
 * does) in the same script when there are any. Call it after the change committed: a gateway reads
 * the entity when the event arrives, and must find the change there.
 */
export async function publishEntityEvents(
  redis: RedisClient,
  prefix: string,
  entities: readonly { typename: string; id: string }[],
  purgeTags: readonly string[] = [],
): Promise<void> {
  if (entities.length === 0 && purgeTags.length === 0) return;
  const versions = entities.map(({ typename, id }) => versionKey(prefix, typename, id));
  const events = [entityEventsChannel(prefix), VERSION_TTL_MS, Date.now(), ...entities.flatMap(({ typename, id }) => [typename, id])];
  if (purgeTags.length === 0) {
    await defineScript(redis, 'shopgraphPublishEntityEvents', PUBLISH_SCRIPT)(versions.length, ...versions, ...events);
    return;
  }
  const purge = invalidationOf(cacheKeys(prefix), purgeTags);
  const keys = [...purge.keys, ...versions];
  await defineScript(redis, 'shopgraphPurgeAndPublishEntityEvents', PURGE_AND_PUBLISH_SCRIPT)(keys.length, ...keys, ...purge.args, purge.expanded.length, ...events);
}

/** What a process that changes data (a worker) needs to tell the gateways' subscriptions. */
export interface EntityEventPublisher {
  /**
   * Publishes "changed" for each entity, after its change committed, having purged the cached
   * entries holding one of `purgeTags` first (one round trip); rejects when Redis cannot be
   * reached within a few retries.
   */
  publish(entities: readonly { typename: string; id: string }[], purgeTags?: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** An event publisher on its own Redis connection (it reconnects by itself); `prefix` is the gateways' `CACHE_KEY_PREFIX`. */
export function createEntityEventPublisher(redisUrl: string, prefix: string, logger?: Logger): EntityEventPublisher {
  const redis = createCacheConnection(redisUrl, 'writes');
  if (logger) reportRedisOutages(redis, logger, 'entity events');
  return {
    publish: (entities, purgeTags) => publishEntityEvents(redis, prefix, entities, purgeTags),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
