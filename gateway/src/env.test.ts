import { fileURLToPath } from 'node:url';
import { ConfigError } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig, subgraphUrlFor } from './env.js';

describe('gateway configuration', () => {
  it('defaults to the contract: port 4000, the committed supergraph, the web client as CORS origin', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      production: false,
      supergraphPath: fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url)),
      corsOrigins: ['http://localhost:3000'],
      apolloTelemetry: false,
      subgraphTimeoutMs: 10_000,
      limits: { maxDepth: 10, maxAliases: 15, maxTokens: 2000, maxDirectives: 20, maxCost: 25000 },
      subgraphUrls: {},
    });
  });

  it('reads a CORS allow-list and the limits', () => {
    const config = loadConfig({ CORS_ORIGINS: 'https://shop.example, http://localhost:3000,', MAX_DEPTH: '4', MAX_COST: '100' });
    expect(config.corsOrigins).toEqual(['https://shop.example', 'http://localhost:3000']);
    expect(config.limits).toMatchObject({ maxDepth: 4, maxCost: 100 });
    expect(loadConfig({ APOLLO_TELEMETRY_DISABLED: 'false' }).apolloTelemetry).toBe(true);
  });

  it('overrides the URL of any subgraph the supergraph names, the long form winning over the short one', () => {
    const config = loadConfig({
      PRODUCTS_URL: 'http://products.internal/graphql',
      USERS_URL: 'http://users-short.internal/graphql',
      SUBGRAPH_URL_USERS: 'http://users-long.internal/graphql',
      SUBGRAPH_URL_ORDER_HISTORY: 'https://history.internal/graphql',
    });
    const urlOf = (name: string) => subgraphUrlFor(config, { name, url: 'http://from-supergraph/graphql' });
    expect(urlOf('products')).toBe('http://products.internal/graphql');
    expect(urlOf('users')).toBe('http://users-long.internal/graphql');
    expect(urlOf('order-history')).toBe('https://history.internal/graphql');
    expect(urlOf('payments')).toBe('http://from-supergraph/graphql');
  });

  it('refuses a subgraph without any URL, naming the variable to set', () => {
    expect(() => subgraphUrlFor(loadConfig({}), { name: 'order-history' })).toThrow(/SUBGRAPH_URL_ORDER_HISTORY/);
  });

  it('lists every problem at once', () => {
    const load = () => loadConfig({ GATEWAY_PORT: 'eighty', MAX_DEPTH: '0', SUBGRAPH_URL_USERS: 'users:4002', ORDERS_URL: 'ftp://orders' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/GATEWAY_PORT[\s\S]*MAX_DEPTH[\s\S]*ORDERS_URL[\s\S]*SUBGRAPH_URL_USERS/);
  });
});
