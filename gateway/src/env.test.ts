import { fileURLToPath } from 'node:url';
import { ConfigError, DEV_GATEWAY_SECRET, DEV_JWT_SECRET } from '@shopgraph/common';
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

  it('listens on loopback unless HOST opens it; metrics on their own port, loopback unless METRICS_HOST opens it', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', metrics: { port: 5000, host: '127.0.0.1' } });
    expect(loadConfig({ GATEWAY_PORT: '4100' }).metrics.port).toBe(5100);
    expect(loadConfig({ GATEWAY_PORT: '0' }).metrics.port).toBe(0);
    // Opening the public listener does not open the operator one.
    expect(loadConfig({ HOST: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', metrics: { host: '127.0.0.1' } });
    expect(loadConfig({ GATEWAY_METRICS_PORT: '9400', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ port: 9400, host: '0.0.0.0' });
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

  describe('in production', () => {
    const secrets = { JWT_SECRET: 'gateway-env-test-jwt-secret-0123456789abcdef', GATEWAY_SECRET: 'gateway-env-test-signing-secret-0123456789abcdef' };

    it('starts with its secrets and Redis, without ADMIN_PASSWORD, which it never uses', () => {
      const config = loadConfig({ NODE_ENV: 'production', ...secrets });
      expect(config).toMatchObject({ production: true, jwtSecret: secrets.JWT_SECRET, gatewaySecret: secrets.GATEWAY_SECRET, warnings: [] });
      expect(config).not.toHaveProperty('admin');
    });

    it('refuses the development secrets, naming each in one line', () => {
      const load = () => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET, GATEWAY_SECRET: DEV_GATEWAY_SECRET });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/\n {2}- JWT_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production[^\n]*\n {2}- GATEWAY_SECRET: a development secret/);
    });

    it('refuses missing secrets, with its other problems', () => {
      expect(() => loadConfig({ NODE_ENV: 'production', MAX_DEPTH: '0' })).toThrow(/MAX_DEPTH[\s\S]*JWT_SECRET: required[\s\S]*GATEWAY_SECRET: required/);
    });
  });
});
