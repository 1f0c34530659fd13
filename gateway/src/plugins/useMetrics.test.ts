import { ApolloServer } from '@apollo/server';
import { createLogger } from '@shopgraph/common';
import { GraphQLError } from 'graphql';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { useMetrics, type GatewayMetrics } from './useMetrics.js';

let registry: Registry;
let metrics: GatewayMetrics;
let server: ApolloServer<GatewayContext>;

// A registry and a server per test: each test counts from zero, whatever ran before it.
beforeEach(async () => {
  registry = new Registry();
  metrics = useMetrics({ registry, maxOperationNames: 3 });
  server = new ApolloServer<GatewayContext>({
    typeDefs: 'type Query { ok: Boolean, missing: Boolean } type Mutation { touch: Boolean }',
    resolvers: {
      Query: {
        ok: () => true,
        missing: () => {
          throw new GraphQLError('nothing here', { extensions: { code: 'NOT_FOUND' } });
        },
      },
      Mutation: { touch: () => true },
    },
    plugins: [...metrics.apolloPlugins],
  });
  await server.start();
});

afterEach(async () => {
  await server?.stop();
});

const run = (query: string) =>
  server.executeOperation({ query }, { contextValue: { viewer: null, requestId: 'test', clientIp: '127.0.0.1', logger: createLogger('test', 'silent') } });

const countOf = async (metric: string, labels: Record<string, string>) => {
  const values = (await registry.getSingleMetric(metric)!.get()).values;
  return values
    .filter((value) => Object.entries(labels).every(([name, expected]) => value.labels[name] === expected))
    .filter((value) => !('metricName' in value) || value.metricName === `${metric}_count`)
    .reduce((sum, value) => sum + value.value, 0);
};

describe('useMetrics', () => {
  it('times each operation under its name and type', async () => {
    await run('query First { ok }');
    await run('query First { ok }');
    await run('mutation Second { touch }');
    await run('{ ok }');
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'First', type: 'query' })).toBe(2);
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'Second', type: 'mutation' })).toBe(1);
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'anonymous', type: 'query' })).toBe(1);
  });

  it('labels operations that do not resolve as invalid, without taking their name', async () => {
    await run('query Broken { nope }');
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'invalid', type: 'invalid' })).toBe(1);
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'Broken' })).toBe(0);
  });

  it('caps the operation names it keeps, so clients cannot grow the label set', async () => {
    for (const name of ['First', 'Second', 'Third', 'Fourth', 'Fifth']) await run(`query ${name} { ok }`);
    await run('query Fourth { ok }');
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'Third' })).toBe(1);
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'Fourth' })).toBe(0);
    expect(await countOf('shopgraph_gateway_operation_duration_seconds', { operation: 'other' })).toBe(3);
  });

  it('counts errors by code, including the ones answered before Apollo Server', async () => {
    await run('{ missing }');
    await run('{ nope }');
    metrics.countError('UNAUTHENTICATED');
    expect(await countOf('shopgraph_gateway_errors_total', { code: 'NOT_FOUND' })).toBe(1);
    expect(await countOf('shopgraph_gateway_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(await countOf('shopgraph_gateway_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
  });
});
