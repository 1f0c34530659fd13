import { ConfigError, DEV_GATEWAY_SECRET, DEV_PAYMENT_PROVIDER_KEY } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

const PRODUCTION_KEY = 'sk_live_payments-env-test-0123456789abcdef';

describe('payments configuration', () => {
  it('listens on 4004 and tokenizes cards at the bundled simulator by default', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4004,
      paymentProvider: { url: 'http://127.0.0.1:4005', timeoutMs: 5000 },
    });
  });

  it('honours PAYMENT_PROVIDER_URL and PAYMENT_PROVIDER_TIMEOUT_MS', () => {
    const config = loadConfig({ PAYMENT_PROVIDER_URL: 'https://provider.example/', PAYMENT_PROVIDER_TIMEOUT_MS: '1500' });
    expect(config.paymentProvider).toEqual({ url: 'https://provider.example/', timeoutMs: 1500, apiKey: DEV_PAYMENT_PROVIDER_KEY });
  });

  it('refuses a provider URL that is not http(s) and a timeout out of range, naming both', () => {
    const load = () => loadConfig({ PAYMENT_PROVIDER_URL: 'ftp://provider.example', PAYMENT_PROVIDER_TIMEOUT_MS: '0' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PAYMENT_PROVIDER_URL[\s\S]*PAYMENT_PROVIDER_TIMEOUT_MS/);
  });

  it('sends the development provider key outside production, warning about it', () => {
    expect(loadConfig({}).warnings).toEqual([
      'GATEWAY_SECRET is the development secret: set your own before anyone else can reach this platform.',
      'PAYMENT_PROVIDER_KEY is the development key: set your own before anyone else can reach this platform.',
    ]);
  });

  it('starts in production with the gateway secret and the provider key alone: it issues no tokens and has no admin', () => {
    const config = loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: 'payments-env-test-signing-secret-0123456789', PAYMENT_PROVIDER_KEY: PRODUCTION_KEY });
    expect(config.paymentProvider.apiKey).toBe(PRODUCTION_KEY);
    expect(config).toMatchObject({ nodeEnv: 'production', warnings: [] });
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('admin');
  });

  it('refuses the development gateway secret in production, in one line', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: DEV_GATEWAY_SECRET, PAYMENT_PROVIDER_KEY: PRODUCTION_KEY });
    expect(load).toThrow(/^Invalid configuration:\n {2}- GATEWAY_SECRET: a development secret published in Shopgraph's source[^\n]*$/);
  });

  it('refuses a missing or the development provider key in production, in one line', () => {
    const secret = 'payments-env-test-signing-secret-0123456789';
    expect(() => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: secret })).toThrow(
      /^Invalid configuration:\n {2}- PAYMENT_PROVIDER_KEY: required when NODE_ENV=production[^\n]*$/,
    );
    expect(() => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: secret, PAYMENT_PROVIDER_KEY: DEV_PAYMENT_PROVIDER_KEY })).toThrow(
      /^Invalid configuration:\n {2}- PAYMENT_PROVIDER_KEY: a development secret published in Shopgraph's source[^\n]*$/,
    );
  });
});
