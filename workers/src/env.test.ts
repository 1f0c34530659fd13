import { ConfigError } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('workers configuration', () => {
  it('starts in production with a strong admin password for the dashboard, and no token or signing secret', () => {
    const config = loadConfig({ NODE_ENV: 'production', ADMIN_EMAIL: 'Ops@Example.com', ADMIN_PASSWORD: 'Harbour-Violet-Granite-64' });
    expect(config).toMatchObject({ nodeEnv: 'production', admin: { email: 'ops@example.com', password: 'Harbour-Violet-Granite-64' }, warnings: [] });
    expect(config).not.toHaveProperty('jwtSecret');
    expect(config).not.toHaveProperty('gatewaySecret');
  });

  it('refuses, in production, the default dashboard password and a bad queue prefix, one line each', () => {
    const load = () => loadConfig({ NODE_ENV: 'production', ADMIN_PASSWORD: 'admin-password', QUEUE_PREFIX: 'bull' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Invalid configuration:\n {2}- QUEUE_PREFIX: [^\n]+\n {2}- ADMIN_PASSWORD: the default admin password, refused when NODE_ENV=production$/);
  });

  it('warns, outside production, that the dashboard password is the default', () => {
    expect(loadConfig({}).warnings).toEqual(['ADMIN_PASSWORD is the default: change it before anyone else can reach this platform.']);
  });
});
