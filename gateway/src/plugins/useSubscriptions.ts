import type { Server } from 'node:http';
import { createCacheConnection } from '@shopgraph/cache';
import type { Logger, RedisClient } from '@shopgraph/common';
import type { GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import type { SessionCheck } from '../auth/session-check.js';
import { SubscriptionCredentials } from '../subscriptions/credentials.js';
import { EntityEventHub } from '../subscriptions/entity-event-hub.js';
import { attachGraphqlWs } from '../subscriptions/graphql-ws-transport.js';
import type { LiveField } from '../subscriptions/live-fields.js';
import { mutationEventsPlugin, type MutationEventRules, type MutationPurged } from '../subscriptions/mutation-events.js';
import { multipartSubscriptions } from '../subscriptions/multipart-transport.js';
import { OpenSubscriptions } from '../subscriptions/open-subscriptions.js';
import { listenToSessionEnds } from '../subscriptions/session-ends.js';
import { createSubscriptionMetrics } from '../subscriptions/subscription-metrics.js';
import type { SubscriptionsConfig } from '../subscriptions/subscriptions-env.js';
import type { PluginWith } from './plugin.js';

export interface SubscriptionsOptions extends SubscriptionsConfig {
  redisUrl: string;
  /** Publishes the entity events of mutations (the gateway's command connection). */
  redis: RedisClient;
  jwtSecret: string;
  sessions: SessionCheck;
  /** SESSION_REDIS_PREFIX: where the users subgraph announces the sessions it ends. */
  sessionKeyPrefix: string;
  liveFields: Readonly<Record<string, LiveField>>;
  mutationEvents: MutationEventRules;
  /** Resolves once the caches purged what a mutation changed: its entity events wait for it. */
  mutationPurged: MutationPurged;
  registry: Registry;
  logger: Logger;
}

export interface SubscriptionsPlugin extends PluginWith<'onParams' | 'apolloPlugins' | 'onApolloStart'> {
  /** Serves graphql-ws on `httpServer`'s WebSocket upgrades at `/graphql`. */
  attach(httpServer: Server): void;
  /** The graph's API schema, each time the gateway loads it. */
  schemaLoaded(schema: GraphQLSchema): void;
  /**
   * Ends every subscription (multipart streams with `SHUTTING_DOWN`, sockets closed with 1012, a
   * reconnect hint) and closes the event connection. Call it before the HTTP server drains, which
   * would otherwise wait for the streams.
   */
  shutDown(): Promise<void>;
}

/**
 * The Subscription root, served by the gateway itself (`@apollo/gateway` has none): each
 * subscription watches its entities' events on Redis (one subscriber connection per gateway) and
 * re-reads them through the graph as the subscriber on each one (subscriptions/). Both transports
 * at `/graphql`: graphql-ws over WebSocket, Apollo's multipart HTTP. Mutations announce the
 * entities they changed; the workers announce theirs.
 */
export function useSubscriptions(options: SubscriptionsOptions): SubscriptionsPlugin {
  const { logger } = options;
  const metrics = createSubscriptionMetrics(options.registry);
  const subscriber = createCacheConnection(options.redisUrl, 'subscriber');
  const hub = new EntityEventHub(subscriber, options.keyPrefix, metrics, logger);
  const credentials = new SubscriptionCredentials(options.jwtSecret, options.sessions, options.redis, options.sessionKeyPrefix);
  let reads = 0;
  let execute: ConstructorParameters<typeof OpenSubscriptions>[0]['execute'] = () => Promise.reject(new Error('the gateway has not started'));
  const open = new OpenSubscriptions({
    hub,
    metrics,
    liveFields: options.liveFields,
    maxIds: options.maxIds,
    perUser: options.perUser,
    sessionRecheckMs: options.sessionRecheckMs,
    checkCredentials: credentials.check,
    checkAfterSessionWrite: (userId) => credentials.checkAfterWrite(userId),
    execute: (query, variables, reader) => execute(query, variables, reader),
  });
  listenToSessionEnds(subscriber, options.sessionKeyPrefix, (userId) => void open.sessionsChanged(userId), logger);
  let graphqlWs: ReturnType<typeof attachGraphqlWs> | undefined;
  return {
    name: 'subscriptions',
    onParams: multipartSubscriptions({ open, credentials, heartbeatMs: options.heartbeatMs, logger }),
    apolloPlugins: [mutationEventsPlugin(options.redis, options.keyPrefix, options.mutationEvents, options.mutationPurged, logger)],
    onApolloStart(apollo) {
      execute = async (query, variables, subscriber) => {
        const requestId = `subscription-${++reads}`;
        const response = await apollo.executeOperation(
          { query, variables },
          { contextValue: { viewer: subscriber.viewer, requestId, clientIp: subscriber.clientIp, logger: logger.child({ requestId }), afterEvent: true } },
        );
        if (response.body.kind === 'single') return response.body.singleResult;
        return { errors: [{ message: 'An incremental answer cannot be pushed.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] };
      };
    },
    attach(httpServer) {
      graphqlWs = attachGraphqlWs(httpServer, {
        path: '/graphql',
        open,
        credentials,
        perConnection: options.perConnection,
        messagesPer10s: options.messagesPer10s,
        heartbeatMs: options.heartbeatMs,
        idleTimeoutMs: options.idleTimeoutMs,
        logger,
      });
    },
    schemaLoaded(schema) {
      open.schema = schema;
    },
    async shutDown() {
      open.shutDown();
      await graphqlWs?.close();
      hub.close();
    },
  };
}
