import { ConfigError, DEMO_PASSWORD, DEV_JWT_SECRET } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';

describe('users configuration', () => {
  it('listens on 4002 and uses DATABASE_URL by default', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@db:5432/shop' });
    expect(config).toMatchObject({ port: 4002, databaseUrl: 'postgres://postgres@db:5432/shop' });
  });

  it('honours USERS_PORT and USERS_DATABASE_URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@db:5432/shop',
      USERS_DATABASE_URL: 'postgres://postgres@accounts:5432/users',
      USERS_PORT: '5002',
    });
    expect(config).toMatchObject({ port: 5002, databaseUrl: 'postgres://postgres@accounts:5432/users' });
  });

  it('lower-cases the admin email and refuses a bad port', () => {
    expect(loadConfig({ ADMIN_EMAIL: 'Boss@Example.com' }).admin.email).toBe('boss@example.com');
    expect(() => loadConfig({ USERS_PORT: '70000' })).toThrow(ConfigError);
  });

  describe('in production', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'users-env-test-jwt-secret-0123456789abcdef',
      GATEWAY_SECRET: 'users-env-test-signing-secret-0123456789abcdef',
      ADMIN_PASSWORD: 'Lantern-Orchid-Basalt-27',
    };

    it('starts with real secrets and a strong admin password', () => {
      expect(loadConfig(production)).toMatchObject({ nodeEnv: 'production', jwtSecret: production.JWT_SECRET, warnings: [] });
    });

    it('names every problem in one line each: the development JWT secret, a weak admin password', () => {
      const load = () => loadConfig({ ...production, JWT_SECRET: DEV_JWT_SECRET, ADMIN_PASSWORD: DEMO_PASSWORD });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        /^Invalid configuration:\n {2}- JWT_SECRET: a development secret published in Shopgraph's source[^\n]*\n {2}- ADMIN_PASSWORD: a password published in Shopgraph's source, refused when NODE_ENV=production$/,
      );
    });

    it.each(['admin-password', 'password'])('refuses ADMIN_PASSWORD=%s', (password) => {
      expect(() => loadConfig({ ...production, ADMIN_PASSWORD: password })).toThrow(/ADMIN_PASSWORD: .*refused when NODE_ENV=production/);
    });
  });
});
