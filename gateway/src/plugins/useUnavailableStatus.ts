import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode } from '@shopgraph/common';
import { SUBGRAPH_UNAVAILABLE } from '../upstream/errors.js';
import type { PluginWith } from './plugin.js';

/**
 * Codes that say "not now" rather than "not this": the same request may succeed shortly. A
 * SUBGRAPH_TIMEOUT is left out: the call may still be running, and a retry could meet it.
 */
export const UNAVAILABLE_CODES: ReadonlySet<unknown> = new Set([ErrorCode.SERVICE_UNAVAILABLE, SUBGRAPH_UNAVAILABLE]);

/** What `retry-after` tells a client whose whole operation failed that way. */
export const UNAVAILABLE_RETRY_AFTER_S = 1;

/**
 * An operation that failed as a whole because a dependency is away (a subgraph's Postgres or
 * Redis restarting, a subgraph down) is answered HTTP 503 with `retry-after`, as proxies and
 * clients understand it; a partial answer keeps HTTP 200 and its errors. "As a whole": no root
 * field has a value, and every error carries one of `UNAVAILABLE_CODES`.
 */
export function useUnavailableStatus(): PluginWith<'apolloPlugins'> {
  const plugin: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (!errors?.length || !errors.every((error) => UNAVAILABLE_CODES.has(error.extensions?.code))) return;
          if (data && Object.values(data).some((value) => value !== null)) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
        },
      };
    },
  };
  return { name: 'unavailable-status', apolloPlugins: [plugin] };
}
