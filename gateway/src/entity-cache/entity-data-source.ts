import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayContext } from '../context.js';
import type { SubgraphCacheHint } from '../upstream/subgraph-response.js';
import type { EntityCache, EntityFetchReport, FetchedEntities, GatewayGraphQLResponse } from './entity-cache.js';
import type { RootFetchCache, RootFetchReport } from './root-fetch-cache.js';

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type ClientOptions = Extract<ProcessOptions, { incomingRequestContext: unknown }>;

interface CachePolicy {
  restrict(hint: SubgraphCacheHint): void;
}

const isCachePolicy = (policy: unknown): policy is CachePolicy =>
  typeof policy === 'object' && policy !== null && 'restrict' in policy && typeof policy.restrict === 'function';

/**
 * A fetch of a query the cache may answer: a client's query (a mutation's fetches run as they
 * are, its entity reads after its write), with a cache policy to narrow.
 */
function queryFetchOf(options: ProcessOptions): ClientOptions | undefined {
  if (!('incomingRequestContext' in options)) return undefined;
  if (options.incomingRequestContext.operation?.operation !== 'query' || !options.request.query) return undefined;
  return isCachePolicy(options.incomingRequestContext.overallCachePolicy) ? options : undefined;
}

/**
 * A subgraph's data source with the entity cache in front of its `_entities` fetches and its
 * root-field fetches of queries; every other call goes to `source` untouched. What the cache
 * lacks goes to `source` as a fetch of its own, whose cache hint (what a data source hands the
 * operation's cache policy, as Apollo's RemoteGraphQLDataSource does) is read on its way to the
 * policy.
 */
export class EntityCachingDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    private readonly source: GraphQLDataSource<GatewayContext>,
    private readonly cache: EntityCache,
    private readonly roots: RootFetchCache,
    /** Each fetch's report, for the debugging extension; none when it is off. */
    private readonly onReport?: (context: GatewayContext, report: EntityFetchReport | RootFetchReport) => void,
  ) {}

  async process(options: ProcessOptions): Promise<GatewayGraphQLResponse> {
    const fetch = queryFetchOf(options);
    if (!fetch) return this.source.process(options);
    const policy = fetch.incomingRequestContext.overallCachePolicy as CachePolicy;
    const { query, variables } = fetch.request;
    const context = fetch.context;
    // A query plan's fetch is either `_entities` (with representations) or the subgraph's root fields.
    const { response, report } = Array.isArray(variables?.representations)
      ? await this.cache.resolve(
          { subgraph: this.subgraph, query: query!, variables: variables!, viewer: context.viewer, afterEvent: context.afterEvent === true },
          (representations) => this.send(fetch, policy, { ...variables, representations }),
          (hint) => policy.restrict(hint),
        )
      : await this.roots.resolve(
          { subgraph: this.subgraph, query: query!, variables, viewer: context.viewer, afterEvent: context.afterEvent === true },
          () => this.send(fetch, policy, variables),
          (hint) => policy.restrict(hint),
        );
    if (report) this.onReport?.(context, report);
    return response;
  }

  /** `fetch` with `variables`, sent to the source; the hint it gives the policy is recorded on the way. */
  private async send(fetch: ClientOptions, policy: CachePolicy, variables: ClientOptions['request']['variables']): Promise<FetchedEntities> {
    let hint: SubgraphCacheHint | undefined;
    const recorder: CachePolicy = {
      restrict(given) {
        // The most restrictive of what it was told (a source may restrict more than once).
        hint = hint === undefined ? given : { maxAge: Math.min(hint.maxAge, given.maxAge), scope: hint.scope === 'PRIVATE' || given.scope === 'PRIVATE' ? 'PRIVATE' : given.scope ?? hint.scope };
        policy.restrict(given);
      },
    };
    // The same request context but for the policy: the source reads the operation from it as before.
    const incomingRequestContext = Object.create(fetch.incomingRequestContext, { overallCachePolicy: { value: recorder } }) as ClientOptions['incomingRequestContext'];
    const response = await this.source.process({ ...fetch, incomingRequestContext, request: { ...fetch.request, variables } });
    return { response, hint };
  }
}
