import { describe, expect, inject, it } from 'vitest';
import { registerCustomer } from '../helpers.js';

/**
 * `register` answers CONFLICT for a taken email (the contract's error table) while `login` never
 * says whether an email exists: both share one tighter per-address limit in the gateway, so
 * neither is a cheap way to list the shop's customers or guess their passwords.
 */
const platform = inject('securityPlatform');
/** The gateway's limit per address (gateway/src/server.ts). */
const ATTEMPTS_PER_ADDRESS = 30;

const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { token } }';
const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }';

/** Posts as a client behind the loopback proxy the gateway trusts (the storefront's server), at `address`. */
async function post(address: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(platform.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.errors?.[0]?.extensions?.code };
}

describe('sign-up and sign-in attempts from one address', () => {
  it(`are ${ATTEMPTS_PER_ADDRESS} per window together, then 429 RATE_LIMITED for both; another address is untouched`, async () => {
    const { email } = await registerCustomer();
    const prober = '198.51.100.7';
    for (let i = 0; i < ATTEMPTS_PER_ADDRESS; i++) {
      const attempt =
        i % 2 === 0
          ? await post(prober, REGISTER, { input: { email, password: 'correct horse battery', name: 'Prober' } })
          : await post(prober, LOGIN, { email, password: `guess-${i}` });
      expect(attempt.code).toBe(i % 2 === 0 ? 'CONFLICT' : 'UNAUTHENTICATED');
    }
    for (const [query, variables] of [
      [REGISTER, { input: { email: `new-${Date.now()}@example.com`, password: 'correct horse battery', name: 'Prober' } }],
      [LOGIN, { email, password: 'correct horse battery' }],
    ] as const) {
      const refused = await post(prober, query, variables);
      expect(refused).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
    expect(await post('198.51.100.8', LOGIN, { email, password: 'correct horse battery' })).toMatchObject({ status: 200, code: undefined });
  });
});
