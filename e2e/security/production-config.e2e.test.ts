import { describe, expect, it, inject } from 'vitest';
import { codeOf, dataOf, gql, login } from '../helpers.js';

const platform = inject('securityPlatform');

describe('the platform in production mode', () => {
  it('runs with the real secrets and the configured admin', async () => {
    expect(platform.env.NODE_ENV).toBe('production');
    const { token } = await login(platform.admin.email, platform.admin.password);
    const me = dataOf(await gql('{ me { email role } }', {}, token));
    expect(me.me).toEqual({ email: platform.admin.email, role: 'ADMIN' });
  });

  it('hides the schema from a stranger: no introspection', async () => {
    const response = await gql('{ __schema { types { name } } }');
    expect(response.data?.__schema).toBeUndefined();
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
