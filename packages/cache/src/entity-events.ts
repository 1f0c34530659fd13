import { reportRedisOutages, type Logger, type RedisClient } from '@shopgraph/common';
import { createCacheConnection } from './store.js';

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
 * KEYS: the entity's version. ARGV: channel, typename, id, published at (ms), version ttl (ms).
 * One script: the version is taken and the event published in one step, so the events of an
 * entity leave Redis in version order. The version is at least the server's clock in
 * microseconds, so it keeps rising after the key expired.
 */
const PUBLISH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local version = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, now)
local text = string.format('%.0f', version)
redis.call('SET', KEYS[1], text, 'PX', ARGV[5])
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. text .. ' ' .. ARGV[4])
return text
`;

/** Parses a message of the events channel: `<typename> <id> <version> <at>`; null for anything else. */
export function parseEntityEvent(message: string): EntityEvent | null {
  const [typename, id, version, at, ...rest] = message.split(' ');
  if (!typename || !id || rest.length > 0) return null;
  const event = { typename, id, version: Number(version), at: Number(at) };
  return Number.isSafeInteger(event.version) && Number.isFinite(event.at) ? event : null;
}

/**
 * Publishes "changed" for each entity on `redis`. Call it after the change committed: a gateway
 * reads the entity when the event arrives, and must find the change there.
 */
export async function publishEntityEvents(redis: RedisClient, prefix: string, entities: readonly { typename: string; id: string }[]): Promise<void> {
  const channel = entityEventsChannel(prefix);
  const at = String(Date.now());
  await Promise.all(
    entities.map(({ typename, id }) => redis.eval(PUBLISH_SCRIPT, 1, versionKey(prefix, typename, id), channel, typename, id, at, VERSION_TTL_MS)),
  );
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
    publish: (entities) => (entities.length === 0 ? Promise.resolve() : publishEntityEvents(redis, prefix, entities)),
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
