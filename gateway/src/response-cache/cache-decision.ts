import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse, HTTPGraphQLRequest } from '@apollo/server';
import { listTag, typeTag, unidentifiedTag } from '@shopgraph/cache';
import type { GatewayContext } from '../context.js';
import type { Purges } from './purge.js';
import { entitiesOf } from './response-entities.js';
import type { UncacheableOperations } from './uncacheable-operations.js';

/** What a query's response may be kept for, by whom, and the tags that purge it. */
export interface Decision {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
  tags: string[];
}

/**
 * TTL and scope: the most restrictive `@cacheControl` hint of the subgraph responses involved;
 * responses with errors, another status than 200, or no-store hints are never kept. Tags: the
 * entities found by walking the operation over the response data (`entitiesOf`), and list roots.
 */
function decide(requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>): Decision | undefined {
  const { response, document, operation, schema } = requestContext;
  if (!document || !operation || response.body.kind !== 'single') return undefined;
  const result = response.body.singleResult;
  if (result.errors?.length || (response.http.status ?? 200) !== 200) return undefined;
  // The most restrictive hint of every subgraph response involved (their cache-control headers).
  const policy = requestContext.overallCachePolicy.policyIfCacheable();
  if (!policy) return undefined;
  const entities = entitiesOf({ schema, document, operation, variables: requestContext.request.variables, data: result.data });
  const tags = [
    ...entities.identified,
    ...[...entities.unidentified].map(unidentifiedTag),
    ...[...entities.types].map(typeTag),
    ...[...entities.listRoots].map(listTag),
  ];
  return { maxAge: policy.maxAge, scope: policy.scope, tags };
}

/**
 * The cache's Apollo Server plugin: decides what the executions the cache ran may keep, and
 * purges after mutations. Executions are known by the HTTP request object handed to Apollo
 * Server, which reaches the plugin as `request.http` (the context object does not: Apollo Server
 * copies it for each operation).
 */
export class CacheDecisions {
  private readonly wanted = new WeakSet<HTTPGraphQLRequest>();
  private readonly decisions = new WeakMap<HTTPGraphQLRequest, Decision>();
  readonly plugin: ApolloServerPlugin<GatewayContext>;

  constructor(purges: Purges, uncacheable: UncacheableOperations) {
    const { wanted, decisions } = this;
    this.plugin = {
      async requestDidStart() {
        return {
          async willSendResponse(requestContext) {
            const { operation, response } = requestContext;
            const http = requestContext.request.http;
            if (operation?.operation === 'mutation') {
              await purges.afterMutation(requestContext);
              return;
            }
            if (operation?.operation !== 'query') return;
            // Every query teaches whether its operation can be kept, also one that skipped the lookups.
            const clean = response.body.kind === 'single' && !response.body.singleResult.errors?.length && (response.http.status ?? 200) === 200;
            if (clean) uncacheable.learn(requestContext.request, requestContext.overallCachePolicy.policyIfCacheable() !== null);
            if (http && wanted.has(http)) {
              const decision = decide(requestContext);
              if (decision) decisions.set(http, decision);
            }
          },
        };
      },
    };
  }

  /** Asks for a decision on the execution of `request`. */
  want(request: HTTPGraphQLRequest): void {
    this.wanted.add(request);
  }

  /** The decision made for `request`, once executed; none when its response may not be kept. */
  of(request: HTTPGraphQLRequest): Decision | undefined {
    return this.decisions.get(request);
  }
}
