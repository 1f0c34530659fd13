import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { encodeViewer, ErrorCode, REQUEST_ID_HEADER, signRequest, type Viewer } from '@shopgraph/common';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';
import { subgraphUnavailable } from './upstream/errors.js';
import { isUnavailableStatus, type SubgraphUpstream } from './upstream/upstream.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SignedDataSourceOptions {
  /** The subgraph's name in the supergraph: the audience of its signatures, and for logs. */
  name: string;
  gatewaySecret: string;
  /** Where the calls go: replica choice, deadline, retries and health live there. */
  upstream: SubgraphUpstream;
}

/** What the fetcher needs to know about the subgraph call in progress besides URL and body. */
interface CallContext {
  viewer: Viewer | null;
  clientIp?: string;
  /** A fetch of a query: safe to retry and to share with an identical one in flight. */
  idempotent: boolean;
}

/**
 * The subgraph call in progress. Data sources are shared by all requests and the fetcher sees
 * only URL and body, so what else it needs travels beside the call rather than through it.
 */
const callContext = new AsyncLocalStorage<CallContext>();

/** Sends through the upstream, signing each attempt for its method, URL, subgraph, exact body bytes and viewer. */
function signedFetch({ name, gatewaySecret, upstream }: SignedDataSourceOptions): Fetcher {
  return async (_url, init = {}) => {
    const call = callContext.getStore() ?? { viewer: null, idempotent: false };
    // The body is sent exactly as signed: a subgraph checks the signature over the bytes it receives.
    const body = init.body === undefined ? '' : init.body.toString();
    return upstream.fetch(
      { body, viewerKey: encodeViewer(call.viewer), ...(call.clientIp ? { clientKey: call.clientIp } : {}), idempotent: call.idempotent },
      (url, signal) => {
        const method = init.method ?? 'POST';
        // Signed per attempt: a retry goes to another replica's URL and needs a nonce of its own.
        const signature = signRequest(gatewaySecret, { method, url, audience: name, body }, call.viewer);
        return fetch(url, { method, headers: { ...init.headers, ...signature }, body, signal });
      },
    );
  };
}

/** A call made for a client's operation, as opposed to the gateway's own health checks. */
const isClientOperation = (options: ProcessOptions): options is Extract<ProcessOptions, { incomingRequestContext: unknown }> =>
  'incomingRequestContext' in options;

const isGraphQLErrorBody = (body: unknown): body is { errors: { message?: unknown; extensions?: { code?: unknown } }[] } =>
  typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors);

/**
 * A subgraph behind the gateway: every call is signed for the request's viewer (subgraphs answer
 * 401 otherwise), carries the request id, and goes through the subgraph's upstream.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraphName: string;

  constructor(options: SignedDataSourceOptions) {
    // The upstream picks the replica of each call; this URL only fills Apollo's request record.
    super({ url: options.upstream.replicas[0]!.url });
    this.subgraphName = options.name;
    this.fetcher = signedFetch(options);
  }

  override process(options: ProcessOptions) {
    const call: CallContext = isClientOperation(options)
      ? {
          viewer: options.context.viewer,
          clientIp: options.context.clientIp,
          // Every fetch of a mutation, its entity reads included, runs once: a retried or shared
          // read could come from before the write it follows.
          idempotent: options.incomingRequestContext.operation?.operation === 'query',
        }
      : { viewer: null, idempotent: false };
    return callContext.run(call, () => super.process(options));
  }

  override willSendRequest(options: ProcessOptions) {
    if (isClientOperation(options)) {
      options.request.http?.headers.set(REQUEST_ID_HEADER, options.context.requestId);
    }
  }

  /**
   * The default puts the subgraph's URL and raw answer into the client's error. Here a 400 with
   * GraphQL errors (input only the subgraph could judge, such as a custom scalar) keeps the
   * subgraph's own message and code; 502, 503 and 504 mean no replica could answer; any other
   * status is the platform's fault: logged, masked.
   */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    if (isUnavailableStatus(response.status)) return subgraphUnavailable();
    const body: unknown = await this.parseBody(response);
    const first = isGraphQLErrorBody(body) ? body.errors[0] : undefined;
    if (response.status === 400 && typeof first?.message === 'string' && typeof first.extensions?.code === 'string') {
      return new GraphQLError(first.message, { extensions: { code: first.extensions.code } });
    }
    return new GraphQLError(`subgraph ${this.subgraphName} answered HTTP ${response.status}`, {
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    });
  }
}
