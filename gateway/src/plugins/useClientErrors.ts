import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, Kind } from 'graphql';
import type { PluginWith } from './plugin.js';

/** The code of an APQ whose query text is not what its hash names (Apollo Router's name for it). */
export const PERSISTED_QUERY_HASH_MISMATCH = 'PERSISTED_QUERY_HASH_MISMATCH';

const refusal = (message: string, code: string) => new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Requests that are the client's fault, answered as such (HTTP 400 and a code) where Apollo
 * Server or the gateway would answer HTTP 500:
 * - an APQ whose hash does not match its query, or of a version other than 1 (Apollo answers
 *   400 but without a code, which `formatError` would take for an internal error):
 *   `PERSISTED_QUERY_HASH_MISMATCH`, `PERSISTED_QUERY_NOT_SUPPORTED`;
 * - no operation to run: an unknown `operationName`, several operations and none named;
 * - a subscription reaching Apollo: the graph has no Subscription root (the gateway serves one's
 *   fields itself, before Apollo: subscriptions/) (`GRAPHQL_VALIDATION_FAILED`, as the contract
 *   has it for every operation the graph cannot run).
 * The gateway's executor reports the last two as `INVALID_GRAPHQL` with HTTP 500.
 */
export function useClientErrors(): PluginWith<'apolloPlugins'> {
  const plugin: ApolloServerPlugin<BaseContext> = {
    async requestDidStart({ request }) {
      const persisted = request.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
      const persistedProblem = !persisted
        ? undefined
        : persisted.version !== 1
          ? 'PERSISTED_QUERY_NOT_SUPPORTED'
          : typeof request.query === 'string' && persisted.sha256Hash !== sha256(request.query)
            ? PERSISTED_QUERY_HASH_MISMATCH
            : undefined;
      return {
        async didEncounterErrors({ errors }) {
          // Apollo refuses these itself, before any other hook, with HTTP 400 and no code; a
          // hook cannot answer first (a throw there is a 500), so the code is added here.
          for (const error of errors) {
            const status = (error.extensions.http as { status?: number } | undefined)?.status;
            if (persistedProblem && error.extensions.code === undefined && status === 400) error.extensions.code = persistedProblem;
          }
        },
        async didResolveOperation({ operation, document }) {
          if (!operation) {
            const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
            throw refusal(
              request.operationName
                ? `Unknown operation named "${request.operationName}".`
                : `The document holds ${operations} operations: name the one to run in operationName.`,
              'GRAPHQL_VALIDATION_FAILED',
            );
          }
          if (operation.operation === 'subscription') throw refusal('This graph has no subscriptions.', 'GRAPHQL_VALIDATION_FAILED');
        },
      };
    },
  };
  return { name: 'client-errors', apolloPlugins: [plugin] };
}
