import { ConfigError } from '@shopgraph/common';
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
});
