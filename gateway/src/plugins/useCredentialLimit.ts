import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { RedisClient } from '@shopgraph/common';
import { GraphQLError, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayContext } from '../context.js';
import type { PluginWith } from './plugin.js';
import { RATE_LIMITED, type RateLimit } from './useRateLimit.js';

export interface CredentialLimitOptions {
  redis: RedisClient;
  /** Prefix of every key the limiter writes. */
  keyPrefix: string;
  /** The Mutation fields that take an email and answer whether it is known or its password right. */
  fields: readonly string[];
  /** Uses of those fields allowed per client address. */
  perIp: RateLimit;
  /** Called for each refused request (metrics). */
  onLimited?: () => void;
}

/** How many times the document selects one of `fields` on the Mutation type, fragments and aliases included. */
function uses(schema: GraphQLSchema, document: DocumentNode, fields: ReadonlySet<string>): number {
  const typeInfo = new TypeInfo(schema);
  const mutation = schema.getMutationType();
  let count = 0;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (mutation && typeInfo.getParentType() === mutation && fields.has(node.name.value)) count++;
      },
    }),
  );
  return count;
}

/**
 * A tighter limit, per client address, on the mutations that say something about an account:
 * `login` (right or wrong password) and `register` (CONFLICT when the email is taken, as the
 * contract has it). Both are counted alike, whatever the answer, so neither is the cheaper way to
 * learn which emails have accounts or to guess passwords. Over the limit: HTTP 429 with
 * `retry-after` and `RATE_LIMITED`, before any subgraph is called.
 */
export function useCredentialLimit({ redis, keyPrefix, fields, perIp, onLimited }: CredentialLimitOptions): PluginWith<'apolloPlugins'> {
  const limited = new Set(fields);
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points: perIp.points,
    duration: perIp.durationS,
    rejectIfRedisNotReady: true,
    // While Redis is away each gateway counts alone: the limit holds per gateway rather than lifting.
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points: perIp.points, duration: perIp.durationS }),
  });
  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, schema, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const count = uses(schema, document, limited);
          if (count === 0) return;
          try {
            await limiter.consume(contextValue.clientIp || 'unknown', count);
          } catch (rejection) {
            if (!(rejection instanceof RateLimiterRes)) throw rejection;
            onLimited?.();
            const retryAfterS = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
            throw new GraphQLError(`Too many sign-in and sign-up attempts: try again in ${retryAfterS} s.`, {
              extensions: { code: RATE_LIMITED, retryAfter: retryAfterS, http: { status: 429, headers: new HeaderMap([['retry-after', String(retryAfterS)]]) } },
            });
          }
        },
      };
    },
  };
  return { name: 'credential-limit', apolloPlugins: [plugin] };
}
