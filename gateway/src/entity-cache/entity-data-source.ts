import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from '../context.js';
import type { SubgraphCacheHint } from '../upstream/subgraph-response.js';
import type { EntityCache, EntityFetchReport, GatewayGraphQLResponse } from './entity-cache.js';

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type ClientOptions = Extract<ProcessOptions, { incomingRequestContext: unknown }>;

interface CachePolicy {
  restrict(hint: SubgraphCacheHint): void;
}

const isCachePolicy = (policy: unknown): policy is CachePolicy =>
  typeof policy === 'object' && policy !== null && 'restrict' in policy && typeof policy.restrict === 'function';

/**
 * An `_entities` fetch of a query the cache may answer: a client's query (a mutation's entity
 * reads run as they are, after its write), with representations, and a cache policy to narrow.
 */
function entityFetchOf(options: ProcessOptions): ClientOptions | undefined {
  if (!('incomingRequestContext' in options)) return undefined;
  if (options.incomingRequestContext.operation?.operation !== 'query') return undefined;
  const { query, variables } = options.request;
  if (!query?.includes('_entities') || !Array.isArray(variables?.representations)) return undefined;
  return isCachePolicy(options.incomingRequestContext.overallCachePolicy) ? options : undefined;
}

/**
 * A subgraph's data source with the entity cache in front of its `_entities` fetches; every other
 * call goes to `source` untouched. The representations the cache lacks go to `source` as a fetch
 * of its own, whose cache hint (what a data source hands the operation's cache policy, as
 * Apollo's RemoteGraphQLDataSource does) is read on its way to the policy.
 */
export class EntityCachingDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    private readonly source: GraphQLDataSource<GatewayContext>,
    private readonly cache: EntityCache,
    /** Each fetch's report, for the debugging extension; none when it is off. */
    private readonly onReport?: (context: GatewayContext, report: EntityFetchReport) => void,
  ) {}

  async process(options: ProcessOptions): Promise<GatewayGraphQLResponse> {
    const fetch = entityFetchOf(options);
    if (!fetch) return this.source.process(options);
    const requestContext = fetch.incomingRequestContext;
    const policy = requestContext.overallCachePolicy as CachePolicy;
    const { response, report } = await this.cache.resolve(
      { subgraph: this.subgraph, query: fetch.request.query!, variables: fetch.request.variables!, viewer: fetch.context.viewer, afterEvent: fetch.context.afterEvent === true },
      async (representations) => {
        let hint: SubgraphCacheHint | undefined;
        const recorder: CachePolicy = {
          restrict(given) {
            // The most restrictive of what it was told (a source may restrict more than once).
            hint = hint === undefined ? given : { maxAge: Math.min(hint.maxAge, given.maxAge), scope: hint.scope === 'PRIVATE' || given.scope === 'PRIVATE' ? 'PRIVATE' : given.scope ?? hint.scope };
            policy.restrict(given);
          },
        };
        // The same request context but for the policy: the source reads the operation from it as before.
        const incomingRequestContext = Object.create(requestContext, { overallCachePolicy: { value: recorder } }) as typeof requestContext;
        const response = await this.source.process({
          ...fetch,
          incomingRequestContext,
          request: { ...fetch.request, variables: { ...fetch.request.variables, representations } },
        });
        return { response, hint };
      },
      (hint) => policy.restrict(hint),
    );
    this.onReport?.(fetch.context, report);
    return response;
  }
}
