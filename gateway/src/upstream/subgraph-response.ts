import type { GraphQLDataSource } from '@apollo/gateway';
import { ErrorCode } from '@shopgraph/common';
import { GraphQLError } from 'graphql';
import { subgraphUnavailable } from './errors.js';
import type { UpstreamAnswer } from './subgraph-client.js';
import { isUnavailableStatus } from './upstream.js';

/*
 * What @apollo/gateway's RemoteGraphQLDataSource (sendRequest, parseBody, respond) makes of a
 * subgraph's HTTP answer, done on the buffered answer with one JSON.parse instead of through a
 * fetch Response: the same result, errors and cache hint reach the query plan.
 */

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** A JSON content type, as Apollo's `parseBody` recognises one. */
const isJson = (contentType: string | undefined) =>
  contentType !== undefined && (contentType.startsWith('application/json') || contentType.startsWith('application/graphql-response+json'));

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isGraphQLErrorBody = (body: unknown): body is { errors: { message?: unknown; extensions?: { code?: unknown } }[] } =>
  isObject(body) && Array.isArray(body.errors);

/**
 * The subgraph's GraphQL response, parsed for this caller alone (the query plan merges into it).
 * A status other than 2xx throws the error `errorFromAnswer` makes, as Apollo throws its
 * `errorFromResponse`; a body that is no JSON object throws Apollo's error for it.
 */
export function graphQLResponseOf(answer: UpstreamAnswer, subgraph: string): GatewayGraphQLResponse {
  if (answer.status < 200 || answer.status > 299) throw errorFromAnswer(answer, subgraph);
  const body: unknown = isJson(answer.headers['content-type']) ? JSON.parse(answer.body) : answer.body;
  if (!isObject(body)) throw new Error(`Expected JSON response body, but received: ${String(body)}`);
  return body;
}

/**
 * Apollo's default puts the subgraph's URL and raw answer into the client's error. Here a 400
 * with GraphQL errors (input only the subgraph could judge, such as a custom scalar) keeps the
 * subgraph's own message and code; 502, 503 and 504 mean no replica could answer; any other
 * status is the platform's fault: masked.
 */
export function errorFromAnswer(answer: UpstreamAnswer, subgraph: string): GraphQLError {
  if (isUnavailableStatus(answer.status)) return subgraphUnavailable();
  const first = answer.status === 400 ? firstError(answer) : undefined;
  if (typeof first?.message === 'string' && typeof first.extensions?.code === 'string') {
    return new GraphQLError(first.message, { extensions: { code: first.extensions.code } });
  }
  return new GraphQLError(`subgraph ${subgraph} answered HTTP ${answer.status}`, { extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
}

function firstError(answer: UpstreamAnswer) {
  if (!isJson(answer.headers['content-type'])) return undefined;
  try {
    const body: unknown = JSON.parse(answer.body);
    return isGraphQLErrorBody(body) ? body.errors[0] : undefined;
  } catch {
    return undefined;
  }
}

/** A cache hint as Apollo Server's cache policy takes it. */
export interface SubgraphCacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

/** The hint a subgraph's `cache-control` header gives, read as Apollo's `parseCacheControlHeader` and `respond` read it. */
export function cacheHintOf(cacheControl: string | undefined): SubgraphCacheHint {
  const directives: Record<string, string | true> = {};
  if (cacheControl) {
    for (const part of cacheControl.trim().split(/\s*,\s*/)) {
      const [name = '', value] = part.split(/\s*=\s*/, 2);
      directives[name] = value === undefined ? true : value.replace(/^"|"$/g, '');
    }
  }
  const hint: SubgraphCacheHint = { maxAge: 0 };
  const maxAge = directives['max-age'];
  if (typeof maxAge === 'string' && /^[0-9]+$/.test(maxAge)) hint.maxAge = Number(maxAge);
  if (directives.private === true) hint.scope = 'PRIVATE';
  if (directives.public === true) hint.scope = 'PUBLIC';
  return hint;
}
