import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ErrorCode, REQUEST_ID_HEADER, signRequest, type Viewer } from '@shopgraph/common';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type ProcessOptions = GraphQLDataSourceProcessOptions<GatewayContext>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SignedDataSourceOptions {
  /** The subgraph's name in the supergraph, for logs. */
  name: string;
  url: string;
  gatewaySecret: string;
  /** A subgraph call that has not finished after this long is abandoned. */
  timeoutMs: number;
}

/**
 * The viewer of the subgraph call in progress. Data sources are shared by all requests and the
 * fetcher sees only URL and body, so the viewer travels beside the call rather than through it.
 */
const viewerOfCall = new AsyncLocalStorage<Viewer | null>();

/** `fetch`, signing the exact body bytes with the viewer of the call, and bounded in time. */
function signedFetch({ name, gatewaySecret, timeoutMs }: SignedDataSourceOptions): Fetcher {
  return async (url, init = {}) => {
    // The body is sent exactly as signed: a subgraph checks the signature over the bytes it receives.
    const body = init.body === undefined ? '' : init.body.toString();
    const headers = { ...init.headers, ...signRequest(gatewaySecret, body, viewerOfCall.getStore() ?? null) };
    try {
      return await fetch(url, { method: init.method ?? 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new Error(`subgraph ${name} did not answer within ${timeoutMs} ms`);
      }
      throw error;
    }
  };
}

/** A call made for a client's operation, as opposed to the gateway's own health checks. */
const isClientOperation = (options: ProcessOptions): options is Extract<ProcessOptions, { incomingRequestContext: unknown }> =>
  'incomingRequestContext' in options;

const isGraphQLErrorBody = (body: unknown): body is { errors: { message?: unknown; extensions?: { code?: unknown } }[] } =>
  typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors);

/**
 * A subgraph behind the gateway: every call is signed for the request's viewer (subgraphs answer
 * 401 otherwise), carries the request id, and is abandoned after `timeoutMs`.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly subgraphName: string;

  constructor(options: SignedDataSourceOptions) {
    super({ url: options.url });
    this.subgraphName = options.name;
    this.fetcher = signedFetch(options);
  }

  override process(options: ProcessOptions) {
    const viewer = isClientOperation(options) ? options.context.viewer : null;
    return viewerOfCall.run(viewer, () => super.process(options));
  }

  override willSendRequest(options: ProcessOptions) {
    if (isClientOperation(options)) {
      options.request.http?.headers.set(REQUEST_ID_HEADER, options.context.requestId);
    }
  }

  /**
   * The default puts the subgraph's URL and raw answer into the client's error. Here a 400 with
   * GraphQL errors (input only the subgraph could judge, such as a custom scalar) keeps the
   * subgraph's own message and code; any other status is the platform's fault: logged, masked.
   */
  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
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
