import { ConfigError, DEV_GATEWAY_SECRET } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('orders configuration', () => {
  it('listens on 4003 and honours ORDERS_DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@db:5432/shop', ORDERS_DATABASE_URL: 'postgres://postgres@orders:5432/orders' });
    expect(config).toMatchObject({ port: 4003, databaseUrl: 'postgres://postgres@orders:5432/orders' });
  });

  it('starts in production with the gateway secret alone: it issues no tokens and has no admin', () => {
    const config = loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: 'orders-env-test-signing-secret-0123456789ab' });
    expect(config).toMatchObject({ nodeEnv: 'production', warnings: [] });
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('admin');
  });

  it('names each problem in one line: the development gateway secret in production, a bad database URL', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: DEV_GATEWAY_SECRET, ORDERS_DATABASE_URL: 'mysql://orders' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Invalid configuration:\n {2}- ORDERS_DATABASE_URL: [^\n]+\n {2}- GATEWAY_SECRET: a development secret published[^\n]*$/);
  });
});
