import { reportRedisOutages, type Logger, type RedisClient } from '@shopgraph/common';
import { createCacheConnection, defineScript } from './store.js';

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
 * KEYS: each entity's version. ARGV: channel, version ttl (ms), published at (ms), then each
 * entity's typename and id, in KEYS' order. One script for all of them: one round trip, and each
 * entity's version is taken and its event published in one step, so the events of an entity
 * leave Redis in version order (an entity named twice gets two rising versions). A version is at
 * least the server's clock in microseconds, so it keeps rising after its key expired. On a
 * cluster the keys share the prefix's hash tag (env checks it), so the script runs on one node.
 */
const PUBLISH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local version = math.max(tonumber(redis.call('GET', KEYS[i]) or '0') + 1, now)
  local text = string.format('%.0f', version)
  redis.call('SET', KEYS[i], text, 'PX', ARGV[2])
  redis.call('PUBLISH', ARGV[1], ARGV[2 + 2 * i] .. ' ' .. ARGV[3 + 2 * i] .. ' ' .. text .. ' ' .. ARGV[3])
end
return #KEYS
`;

/** Parses a message of the events channel: `<typename> <id> <version> <at>`; null for anything else. */
export function parseEntityEvent(message: string): EntityEvent | null {
  const [typename, id, version, at, ...rest] = message.split(' ');
  if (!typename || !id || rest.length > 0) return null;
  const event = { typename, id, version: Number(version), at: Number(at) };
  return Number.isSafeInteger(event.version) && Number.isFinite(event.at) ? event : null;
}

/**
 * Publishes "changed" for each entity on `redis`, all of them in one round trip (EVALSHA). Call
 * it after the change committed: a gateway reads the entity when the event arrives, and must
 * find the change there.
 */
export async function publishEntityEvents(redis: RedisClient, prefix: string, entities: readonly { typename: string; id: string }[]): Promise<void> {
  if (entities.length === 0) return;
  const publish = defineScript(redis, 'shopgraphPublishEntityEvents', PUBLISH_SCRIPT);
  const keys = entities.map(({ typename, id }) => versionKey(prefix, typename, id));
  const names = entities.flatMap(({ typename, id }) => [typename, id]);
  await publish(keys.length, ...keys, entityEventsChannel(prefix), VERSION_TTL_MS, Date.now(), ...names);
}

/** What a process that changes data (a worker) needs to tell the gateways' subscriptions. */
export interface EntityEventPublisher {
  /** Publishes "changed" for each entity, after its change committed; rejects when Redis cannot be reached within a few retries. */
  publish(entities: readonly { typename: string; id: string }[]): Promise<void>;
  close(): Promise<void>;
}

/** An event publisher on its own Redis connection (it reconnects by itself); `prefix` is the gateways' `CACHE_KEY_PREFIX`. */
export function createEntityEventPublisher(redisUrl: string, prefix: string, logger?: Logger): EntityEventPublisher {
  const redis = createCacheConnection(redisUrl, 'writes');
  if (logger) reportRedisOutages(redis, logger, 'entity events');
  return {
    publish: (entities) => publishEntityEvents(redis, prefix, entities),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
