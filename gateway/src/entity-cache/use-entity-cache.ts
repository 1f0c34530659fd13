import type { GraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@shopgraph/common';
import type { GraphQLSchema } from 'graphql';
import type { Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { GatewayPlugin } from '../plugins/plugin.js';
import type { MutationTagRules } from '../response-cache/mutation-tags.js';
import { Purges, type PurgedLevels } from '../response-cache/purge.js';
import type { SupergraphVersion } from '../response-cache/supergraph-version.js';
import { EntityCache, type EntityFetchReport } from './entity-cache.js';
import type { EntityCacheConfig } from './entity-cache-env.js';
import { EntityCachingDataSource } from './entity-data-source.js';
import { EntityLevels } from './entity-levels.js';
import { createEntityCacheMetrics } from './entity-metrics.js';
import { RootFetchCache, type RootFetchReport } from './root-fetch-cache.js';

export interface EntityCacheOptions extends EntityCacheConfig {
  redisUrl: string;
  supergraph: SupergraphVersion;
  /** `products` → `PRODUCTS`: the name the rules know a subgraph by. */
  envNameOf(subgraph: string): string;
  /**
   * Set when the response cache is off: the entity cache then purges after mutations itself,
   * with these rules (otherwise the response cache's purges clear its entries: `purgedLevels`).
   */
  purgeOwnMutations?: MutationTagRules;
  registry: Registry;
  logger: Logger;
}

export interface EntityCachePlugin extends GatewayPlugin {
  /** `source` with the entity cache in front of its `_entities` and root-field fetches (the gateway's `buildService`). */
  wrap(subgraph: string, source: GraphQLDataSource<GatewayContext>): GraphQLDataSource<GatewayContext>;
  /** Called with the API schema of every supergraph loaded. */
  schemaLoaded(schema: GraphQLSchema): void;
  /** Its levels, for the response cache's purges to drop from at once. */
  readonly purgedLevels: PurgedLevels;
  /** Its own purges after mutations, when it has them (`purgeOwnMutations`). */
  readonly purges: Purges | undefined;
}

const SWEEP_INTERVAL_MS = 5000;

/**
 * The entity cache (`gateway/src/entity-cache/`): every `_entities` fetch of a query plan is
 * answered from the cache where it can, and only the missing representations are fetched, in one
 * call; a root-field fetch whose answer is PUBLIC is kept whole (`root-fetch-cache.ts`). Its levels and purges are the response cache's parts, under the same key prefix and tags.
 * With `extension` on (never in production), each response says what its entity and root fetches found
 * in `extensions.entityCache`.
 */
export function useEntityCache(options: EntityCacheOptions): EntityCachePlugin {
  const { logger, registry } = options;
  const metrics = createEntityCacheMetrics(registry);
  const levels = new EntityLevels({ ...options, metrics });
  const cache = new EntityCache({ levels, config: options, metrics, supergraph: options.supergraph, envNameOf: options.envNameOf });
  const roots = new RootFetchCache({ levels, config: options, metrics, supergraph: options.supergraph, envNameOf: options.envNameOf });
  // Entries of the old supergraph can no longer be found: free the memory they hold.
  options.supergraph.onChange(() => levels.clearFirstLevel());
  const reports = new WeakMap<GatewayContext, (EntityFetchReport | RootFetchReport)[]>();
  const onReport = options.extension
    ? (context: GatewayContext, report: EntityFetchReport | RootFetchReport) => {
        const list = reports.get(context);
        if (list) list.push(report);
        else reports.set(context, [report]);
      }
    : undefined;
  const apolloPlugins: ApolloServerPlugin<GatewayContext>[] = [];
  if (options.extension) {
    apolloPlugins.push({
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, response }) {
            const list = reports.get(contextValue);
            if (!list || response.body.kind !== 'single') return;
            const result = response.body.singleResult;
            result.extensions = { ...result.extensions, entityCache: list };
          },
        };
      },
    });
  }
  const purges = options.purgeOwnMutations && new Purges(levels, options.purgeOwnMutations, metrics, logger);
  if (purges) {
    apolloPlugins.push({
      async requestDidStart() {
        return {
          async willSendResponse(requestContext) {
            if (requestContext.operation?.operation === 'mutation') await purges.afterMutation(requestContext);
          },
        };
      },
    });
  }
  const sweeper = setInterval(() => levels.sweep(Date.now()), SWEEP_INTERVAL_MS);
  sweeper.unref();

  return {
    name: 'entity-cache',
    apolloPlugins,
    purgedLevels: levels,
    purges,
    wrap: (subgraph, source) => new EntityCachingDataSource(subgraph, source, cache, roots, onReport),
    schemaLoaded: (schema) => {
      cache.schemaLoaded(schema);
      roots.schemaLoaded(schema);
    },
    async close() {
      clearInterval(sweeper);
      await levels.close();
    },
  };
}
