import { ConfigError, DEV_GATEWAY_SECRET } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('products configuration', () => {
  it('listens on 4001 and uses DATABASE_URL by default', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@db:5432/shop' })).toMatchObject({ port: 4001, databaseUrl: 'postgres://postgres@db:5432/shop' });
  });

  it('starts in production with the gateway secret alone: it issues no tokens and has no admin', () => {
    const config = loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: 'products-env-test-signing-secret-0123456789' });
    expect(config).toMatchObject({ nodeEnv: 'production', gatewaySecret: 'products-env-test-signing-secret-0123456789', warnings: [] });
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('admin');
  });

  it('refuses the development gateway secret in production, in one line', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: DEV_GATEWAY_SECRET });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Invalid configuration:\n {2}- GATEWAY_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production[^\n]*$/);
  });
});
