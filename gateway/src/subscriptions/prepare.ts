import { LruCache } from '@shopgraph/cache';
import { ErrorCode } from '@shopgraph/common';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  print,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { entitySubscriptionOf, type EntitySubscription } from './entity-query.js';
import type { LiveField } from './live-fields.js';

/** A subscription ready to open: what it watches, the query each push runs, its coerced variables. */
export interface PreparedSubscription {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  subscription: EntitySubscription;
  query: string;
  variables: Record<string, unknown>;
}

export interface GraphQLParams {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

const refusal = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/** Parses a document, or says why it cannot be. */
export function parseOperation(query: unknown): DocumentNode | GraphQLError[] {
  if (typeof query !== 'string' || query.length === 0) return refusal('A GraphQL operation is required in "query".', 'BAD_REQUEST');
  try {
    return parse(query, { maxTokens: 2000 });
  } catch (error) {
    return refusal((error as GraphQLError).message, 'GRAPHQL_PARSE_FAILED');
  }
}

/** The operation `operationName` picks, when it is a subscription. */
export function subscriptionOperationOf(document: DocumentNode, operationName: unknown): OperationDefinitionNode | null {
  const operation = getOperationAST(document, typeof operationName === 'string' ? operationName : undefined);
  return operation?.operation === 'subscription' ? operation : null;
}

/**
 * Validates a subscription against the graph and reads what it watches, or says what is wrong
 * with it (errors with `extensions.code`, as a query's would have).
 */
export function prepareSubscription(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: unknown,
  liveFields: Readonly<Record<string, LiveField>>,
  maxIds: number,
): PreparedSubscription | GraphQLError[] {
  const invalid = validate(schema, document);
  if (invalid.length > 0) return invalid.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
  if (rawVariables !== undefined && rawVariables !== null && (typeof rawVariables !== 'object' || Array.isArray(rawVariables))) {
    return refusal('"variables" must be an object.', 'BAD_REQUEST');
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (rawVariables ?? {}) as Record<string, unknown>);
  if (coerced.errors) return coerced.errors.map((error) => new GraphQLError(error.message, { extensions: { code: ErrorCode.BAD_USER_INPUT } }));
  const subscription = entitySubscriptionOf(schema, document, operation, coerced.coerced, liveFields);
  if (!subscription) return refusal('This gateway serves only the Subscription fields of the graph, one per operation.', 'GRAPHQL_VALIDATION_FAILED');
  if (subscription.ids.length === 0 || subscription.ids.length > maxIds) {
    return refusal(`A subscription watches between 1 and ${maxIds} ids.`, ErrorCode.BAD_USER_INPUT);
  }
  return { document, operation, subscription, query: print(subscription.query), variables: (rawVariables ?? {}) as Record<string, unknown> };
}

/** What a client sent, read: a subscription ready to open, errors to answer, or not a subscription at all (for Apollo). */
export type Reading = { prepared: PreparedSubscription } | { errors: GraphQLError[] } | { notSubscription: true };

/**
 * Reads subscription requests, keeping what it read: thousands of clients send the same few
 * subscriptions, and each open one then shares one parsed document, one query and one set of ids
 * instead of holding its own. Forgets everything when the graph changes.
 */
export class SubscriptionReader {
  private readonly documents = new LruCache<DocumentNode | GraphQLError[]>(500);
  private readonly prepared = new LruCache<PreparedSubscription | GraphQLError[]>(5_000);
  private schema: GraphQLSchema | undefined;

  constructor(
    private readonly liveFields: Readonly<Record<string, LiveField>>,
    private readonly maxIds: number,
  ) {}

  read(schema: GraphQLSchema, params: GraphQLParams): Reading {
    if (schema !== this.schema) {
      this.schema = schema;
      this.documents.clear();
      this.prepared.clear();
    }
    if (typeof params.query !== 'string') return { errors: parseOperation(params.query) as GraphQLError[] };
    let document = this.documents.get(params.query);
    if (!document) {
      document = parseOperation(params.query);
      this.documents.set(params.query, document);
    }
    if (Array.isArray(document)) return { errors: document };
    const operation = subscriptionOperationOf(document, params.operationName);
    if (!operation) return { notSubscription: true };
    let variablesText: string;
    try {
      variablesText = JSON.stringify(params.variables ?? null);
    } catch {
      return { errors: refusal('"variables" must be JSON.', 'BAD_REQUEST') };
    }
    const key = `${String(params.operationName ?? '')}\n${variablesText}\n${params.query}`;
    let prepared = this.prepared.get(key);
    if (!prepared) {
      prepared = prepareSubscription(schema, document, operation, params.variables, this.liveFields, this.maxIds);
      this.prepared.set(key, prepared);
    }
    return Array.isArray(prepared) ? { errors: prepared } : { prepared };
  }
}
