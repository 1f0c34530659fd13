import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();

/** The subscriptions' knobs (gateway/src/subscriptions/). */
export const subscriptionsEnvSchema = z.object({
  /** Subscriptions one graphql-ws connection may hold open. */
  SUBSCRIPTIONS_PER_CONNECTION: positiveInt.default(25),
  /** Subscriptions one user (anonymous: one client address) may hold open on one gateway, over both transports. */
  SUBSCRIPTIONS_PER_USER: positiveInt.default(100),
  /** Ids one `productStock` may watch. */
  SUBSCRIPTIONS_MAX_IDS: positiveInt.default(100),
  /** Messages a graphql-ws client may send per 10 s before its connection is closed (4429). */
  SUBSCRIPTIONS_MESSAGES_PER_10S: positiveInt.default(200),
  /** WebSocket pings and multipart heartbeat parts, this often. */
  SUBSCRIPTIONS_HEARTBEAT_MS: positiveInt.default(10_000),
  /** A graphql-ws connection with no subscription for this long is closed. */
  SUBSCRIPTIONS_IDLE_TIMEOUT_MS: positiveInt.default(60_000),
  /** An open subscription asks whether its session has ended this often: a safety net besides every event, its token's expiry and the announced ends of sessions. */
  SUBSCRIPTIONS_SESSION_RECHECK_MS: positiveInt.default(300_000),
});

type SubscriptionsEnv = z.output<typeof subscriptionsEnvSchema> & { DATABASE_URL: string; CACHE_KEY_PREFIX?: string | undefined };

export function toSubscriptionsConfig(env: SubscriptionsEnv) {
  return {
    /** Where the workers publish entity events: the response cache's namespace, shared with them. */
    keyPrefix: env.CACHE_KEY_PREFIX ?? defaultCacheKeyPrefix(env.DATABASE_URL),
    perConnection: env.SUBSCRIPTIONS_PER_CONNECTION,
    perUser: env.SUBSCRIPTIONS_PER_USER,
    maxIds: env.SUBSCRIPTIONS_MAX_IDS,
    messagesPer10s: env.SUBSCRIPTIONS_MESSAGES_PER_10S,
    heartbeatMs: env.SUBSCRIPTIONS_HEARTBEAT_MS,
    idleTimeoutMs: env.SUBSCRIPTIONS_IDLE_TIMEOUT_MS,
    sessionRecheckMs: env.SUBSCRIPTIONS_SESSION_RECHECK_MS,
  };
}

export type SubscriptionsConfig = ReturnType<typeof toSubscriptionsConfig>;
