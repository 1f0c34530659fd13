import { ConfigError, DEV_GATEWAY_SECRET } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('payments configuration', () => {
  it('listens on 4004 and tokenizes cards at the bundled simulator by default', () => {
    expect(loadConfig({})).toMatchObject({
      port: 4004,
      paymentProvider: { url: 'http://127.0.0.1:4005', timeoutMs: 5000 },
    });
  });

  it('honours PAYMENT_PROVIDER_URL and PAYMENT_PROVIDER_TIMEOUT_MS', () => {
    const config = loadConfig({ PAYMENT_PROVIDER_URL: 'https://provider.example/', PAYMENT_PROVIDER_TIMEOUT_MS: '1500' });
    expect(config.paymentProvider).toEqual({ url: 'https://provider.example/', timeoutMs: 1500 });
  });

  it('refuses a provider URL that is not http(s) and a timeout out of range, naming both', () => {
    const load = () => loadConfig({ PAYMENT_PROVIDER_URL: 'ftp://provider.example', PAYMENT_PROVIDER_TIMEOUT_MS: '0' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PAYMENT_PROVIDER_URL[\s\S]*PAYMENT_PROVIDER_TIMEOUT_MS/);
  });

  it('starts in production with the gateway secret alone: it issues no tokens and has no admin', () => {
    const config = loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: 'payments-env-test-signing-secret-0123456789' });
    expect(config).toMatchObject({ nodeEnv: 'production', warnings: [] });
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('admin');
  });

  it('refuses the development gateway secret in production, in one line', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', GATEWAY_SECRET: DEV_GATEWAY_SECRET });
    expect(load).toThrow(/^Invalid configuration:\n {2}- GATEWAY_SECRET: a development secret published in Shopgraph's source[^\n]*$/);
  });
});
