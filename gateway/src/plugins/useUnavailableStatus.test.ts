import { ApolloServer } from '@apollo/server';
import { ErrorCode } from '@shopgraph/common';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SUBGRAPH_UNAVAILABLE } from '../upstream/errors.js';
import { useUnavailableStatus } from './useUnavailableStatus.js';

const unavailable = (code: string) => () => {
  throw new GraphQLError('away', { extensions: { code } });
};

const server = new ApolloServer({
  typeDefs: 'type Query { away: String, subgraphAway: String, here: String, missing: String }',
  resolvers: {
    Query: {
      away: unavailable(ErrorCode.SERVICE_UNAVAILABLE),
      subgraphAway: unavailable(SUBGRAPH_UNAVAILABLE),
      here: () => 'here',
      missing: unavailable(ErrorCode.NOT_FOUND),
    },
  },
  plugins: [...useUnavailableStatus().apolloPlugins],
});

const statusOf = async (query: string) => {
  const { http } = await server.executeOperation({ query });
  return { status: http.status ?? 200, retryAfter: http.headers.get('retry-after') };
};

describe('useUnavailableStatus', () => {
  it('answers 503 with retry-after when every field failed because a dependency is away', async () => {
    expect(await statusOf('{ away }')).toEqual({ status: 503, retryAfter: '1' });
    expect(await statusOf('{ away subgraphAway }')).toEqual({ status: 503, retryAfter: '1' });
  });

  it('keeps 200 for a partial answer, and for an error that is not about availability', async () => {
    expect(await statusOf('{ away here }')).toEqual({ status: 200, retryAfter: undefined });
    expect(await statusOf('{ away missing }')).toEqual({ status: 200, retryAfter: undefined });
    expect(await statusOf('{ here }')).toEqual({ status: 200, retryAfter: undefined });
  });
});
