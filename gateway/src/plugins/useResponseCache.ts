import type { EvictionPolicy } from '@shopgraph/cache';
import type { Logger } from '@shopgraph/common';
import type { Registry } from 'prom-client';
import type { SessionCheck } from '../auth/session-check.js';
import { CacheDecisions } from '../response-cache/cache-decision.js';
import { CacheExecutor } from '../response-cache/cache-executor.js';
import { CacheLevels } from '../response-cache/cache-levels.js';
import { createCacheMetrics } from '../response-cache/cache-metrics.js';
import { CacheRequests } from '../response-cache/cache-request.js';
import { ExpressLookup } from '../response-cache/express-lookup.js';
import { CacheFrontDoor } from '../response-cache/front-door.js';
import type { MutationTagRules } from '../response-cache/mutation-tags.js';
import { Purges, type PurgedLevels } from '../response-cache/purge.js';
import { Revalidations } from '../response-cache/revalidation.js';
import { Flights } from '../response-cache/single-flight.js';
import type { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { UncacheableOperations } from '../response-cache/uncacheable-operations.js';
import { VerifiedTokens } from '../response-cache/verified-tokens.js';
import type { PluginWith } from './plugin.js';

export interface ResponseCacheOptions {
  redisUrl: string;
  /** Every Redis key and the invalidation channel live under it. */
  keyPrefix: string;
  /** Eviction policy of the in-process first level. */
  l1Policy: EvictionPolicy;
  l1MaxEntries: number;
  /** false: nothing is kept in process, so every hit is read from Redis (the benchmark's second-level run). */
  l1Enabled?: boolean;
  /** Longest a response is served stale while it is revalidated, capped by its own max-age; 0 turns that off. */
  swrSeconds: number;
  /** What mutations purge beyond the entities in their results. */
  mutationTags?: MutationTagRules;
  /** Other caches of this process under the same tags and prefix (the entity cache): a mutation's purge drops their entries at once too. */
  purgesAlso?: readonly PurgedLevels[];
  /**
   * Set apart the entries of gateways that would not execute the same requests (a persisted
   * operation allow-list): part of every entry key, so entries stored under another list are
   * never found.
   */
  keyVariant?: string;
  /** The supergraph in service: part of every entry key, so a hot reload never serves an answer cached under the old one. */
  supergraph: SupergraphVersion;
  /** To verify bearer tokens at the front door, as `useAuth` does behind it. */
  jwtSecret: string;
  /** To refuse the tokens of ended sessions at the front door, as `useAuth` does behind it. */
  sessions: SessionCheck;
  registry: Registry;
  logger: Logger;
  /** Where the front door writes the access log line of each request it answers (`createAccessLogger`). */
  accessLog: Logger;
}

const SWEEP_INTERVAL_MS = 5000;

/**
 * The response cache (`gateway/src/response-cache/`): a first level in this process (LRU or LFU),
 * a second in Redis, exact invalidation by entity tags, single-flight misses and
 * stale-while-revalidate. A hit is answered from the stored bytes before Apollo Server sees the
 * request — before express too, at its front door, once the steps in front of it (the rate
 * limits) let it through.
 *
 * Keys: the SHA-256 of the exact request body (and of `accept`, when it changes the content
 * type), under the public scope or the viewer's own, and the supergraph's version. TTL and
 * scope: the most restrictive `@cacheControl` hint of the subgraph responses involved; PRIVATE
 * answers are kept per user, never for anonymous viewers; responses with errors and no-store ones
 * (an order read by id, a user's nested orders) are never kept. Tags: the entities found by
 * walking the operation over the response data (`entitiesOf`), list roots, and what
 * `mutationTags` adds; a mutation purges its tags before its response is sent.
 */
export function useResponseCache(options: ResponseCacheOptions): PluginWith<'opensFrontDoor' | 'onParams' | 'onExecute' | 'apolloPlugins' | 'onApolloStart' | 'close'> & { purges: Purges } {
  const { logger, registry } = options;
  const metrics = createCacheMetrics(registry);
  const levels = new CacheLevels({ ...options, l1Enabled: options.l1Enabled ?? true, metrics });
  const requests = new CacheRequests(levels.keys, options.keyVariant, options.supergraph);
  // Entries of the old supergraph can no longer be found: free the memory they hold.
  options.supergraph.onChange(() => levels.clearFirstLevel());
  const flights = new Flights();
  const revalidations = new Revalidations(levels.store, flights, metrics, logger);
  const uncacheable = new UncacheableOperations();
  const purges = new Purges(levels, options.mutationTags ?? {}, metrics, logger, options.purgesAlso);
  const decisions = new CacheDecisions(purges, uncacheable);
  const verifiedTokens = new VerifiedTokens(options.jwtSecret, options.sessions);
  const frontDoor = new CacheFrontDoor({ levels, requests, revalidations, verifiedTokens, metrics, uncacheable, logger, accessLog: options.accessLog });
  const behindExpress = new ExpressLookup({ levels, requests, frontDoor, flights, revalidations, metrics, uncacheable });
  const sweeper = setInterval(() => {
    const now = Date.now();
    levels.sweep(now);
    revalidations.sweep(now);
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  return {
    name: 'response-cache',
    purges,
    opensFrontDoor: (app, steps) => frontDoor.open(app, steps),
    // Hits are answered once auth, rate limits and the allow-list have passed, before the operation is read.
    onParams: behindExpress.lookup,
    onExecute: behindExpress.execute,
    apolloPlugins: [decisions.plugin],
    onApolloStart(apollo, context) {
      behindExpress.executeWith(new CacheExecutor(apollo, context, decisions, levels, options.swrSeconds, options.supergraph));
    },
    async close() {
      clearInterval(sweeper);
      await levels.close();
    },
  };
}
