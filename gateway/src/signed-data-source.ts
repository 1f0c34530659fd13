import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { encodeViewer, REQUEST_ID_HEADER, signRequest, type Viewer } from '@shopgraph/common';
import type { GatewayContext } from './context.js';
import { cacheHintOf, graphQLResponseOf } from './upstream/subgraph-response.js';
import type { SubgraphUpstream } from './upstream/upstream.js';

type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

export interface SignedDataSourceOptions {
  /** The subgraph's name in the supergraph: the audience of its signatures, and for logs. */
  name: string;
  gatewaySecret: string;
  /** Where the calls go: replica choice, deadline, retries, health and the connection pool live there. */
  upstream: SubgraphUpstream;
}

/** Who a subgraph call is made for, and whether it may be retried and shared. */
interface CallContext {
  viewer: Viewer | null;
  clientIp?: string;
  /** A fetch of a query: safe to retry and to share with an identical one in flight. */
  idempotent: boolean;
}

/** A call made for a client's operation, as opposed to the gateway's own health checks. */
const isClientOperation = (options: ProcessOptions): options is Extract<ProcessOptions, { incomingRequestContext: unknown }> =>
  'incomingRequestContext' in options;

function callContextOf(options: ProcessOptions): CallContext {
  if (!isClientOperation(options)) return { viewer: null, idempotent: false };
  return {
    viewer: options.context.viewer,
    clientIp: options.context.clientIp,
    // Every fetch of a mutation, its entity reads included, runs once: a retried or shared read
    // could come from before the write it follows.
    idempotent: options.incomingRequestContext.operation?.operation === 'query',
  };
}

/**
 * A subgraph behind the gateway: every call is signed for the request's viewer (subgraphs answer
 * 401 otherwise), carries the request id, and goes through the subgraph's upstream.
 *
 * It does what @apollo/gateway's RemoteGraphQLDataSource.process does with the same request and
 * answer (the body it sends, the result, errors and cache hint it hands back: see
 * upstream/subgraph-response.ts), minus its fetch: the upstream's pooled client answers with the
 * buffered body, parsed here once, where Apollo builds a Request and a Response per call.
 */
export class SignedDataSource implements GraphQLDataSource<GatewayContext> {
  constructor(private readonly options: SignedDataSourceOptions) {}

  async process(options: ProcessOptions): Promise<GatewayGraphQLResponse> {
    const { name, gatewaySecret, upstream } = this.options;
    const { http, query, ...rest } = options.request;
    if (!query) throw new Error('Missing query');
    // Apollo's body: the query first, then the rest of the request; sent exactly as signed.
    const body = JSON.stringify({ query, ...rest });
    // The headers the query plan asks for (a trace, with usage reporting on), as Apollo forwards them.
    const headers: Record<string, string> = {};
    if (http?.headers) for (const [header, value] of http.headers) headers[header.toLowerCase()] = value;
    headers['content-type'] = 'application/json';
    if (isClientOperation(options)) headers[REQUEST_ID_HEADER] = options.context.requestId;

    const call = callContextOf(options);
    const answer = await upstream.fetch(
      { body, viewerKey: encodeViewer(call.viewer), ...(call.clientIp ? { clientKey: call.clientIp } : {}), idempotent: call.idempotent },
      // Signed per attempt: a retry goes to another replica's URL and needs a nonce of its own.
      (url) => ({ ...headers, ...signRequest(gatewaySecret, { method: 'POST', url, audience: name, body }, call.viewer) }),
    );
    const response = graphQLResponseOf(answer, name);
    // The subgraph's cache-control narrows the operation's cache policy (the response cache reads it).
    const policy: unknown = isClientOperation(options) ? options.incomingRequestContext.overallCachePolicy : undefined;
    if (typeof policy === 'object' && policy !== null && 'restrict' in policy && typeof policy.restrict === 'function') {
      policy.restrict(cacheHintOf(answer.headers['cache-control']));
    }
    return response;
  }
}
