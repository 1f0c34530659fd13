import { ConfigError, DEV_PAYMENT_PROVIDER_KEY } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

const PRODUCTION_KEY = 'sk_live_workers-env-test-0123456789abcdef';

describe('workers configuration', () => {
  it('starts in production with a strong admin password for the dashboard and the provider key, and no token or signing secret', () => {
    const config = loadConfig({ NODE_ENV: 'production', ADMIN_EMAIL: 'Ops@Example.com', ADMIN_PASSWORD: 'Harbour-Violet-Granite-64', PAYMENT_PROVIDER_KEY: PRODUCTION_KEY });
    expect(config).toMatchObject({ nodeEnv: 'production', admin: { email: 'ops@example.com', password: 'Harbour-Violet-Granite-64' }, warnings: [] });
    expect(config.paymentProvider.apiKey).toBe(PRODUCTION_KEY);
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('gatewaySecret');
  });

  it('refuses, in production, the default dashboard password and a bad queue prefix, one line each', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'admin-password', QUEUE_PREFIX: 'bull', PAYMENT_PROVIDER_KEY: PRODUCTION_KEY });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Invalid configuration:\n {2}- QUEUE_PREFIX: [^\n]+\n {2}- ADMIN_PASSWORD: the default admin password, refused when NODE_ENV=production$/);
  });

  it('refuses, in production, a missing or the development provider key, in one line', () => {
    const strong = { NODE_ENV: 'production', ADMIN_PASSWORD: 'Harbour-Violet-Granite-64' };
    expect(() => loadConfig(strong)).toThrow(/^Invalid configuration:\n {2}- PAYMENT_PROVIDER_KEY: required when NODE_ENV=production[^\n]*$/);
    expect(() => loadConfig({ ...strong, PAYMENT_PROVIDER_KEY: DEV_PAYMENT_PROVIDER_KEY })).toThrow(
      /^Invalid configuration:\n {2}- PAYMENT_PROVIDER_KEY: a development secret published in Shopgraph's source[^\n]*$/,
    );
  });

  it('warns, outside production, that the provider key and the dashboard password are the defaults', () => {
    expect(loadConfig({}).warnings).toEqual([
      'PAYMENT_PROVIDER_KEY is the development key: set your own before anyone else can reach this platform.',
      'ADMIN_PASSWORD is the default: change it before anyone else can reach this platform.',
    ]);
  });
});
