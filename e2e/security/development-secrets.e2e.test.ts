import { randomUUID } from 'node:crypto';
import { DEMO_PASSWORD, DEV_GATEWAY_SECRET, DEV_JWT_SECRET, issueToken } from '@shopgraph/common';
import { freePort } from '@shopgraph/testing';
import { describe, expect, inject, it } from 'vitest';
import { codeOf, gql } from '../helpers.js';
import { healthy, runToExit, startEntry } from './processes.js';

/**
 * Issue 12 item 2: production must refuse the development secrets published in the source and
 * weak admin passwords — at start, one line per problem — so a token forged with them never
 * meets a platform that accepts it.
 */

const platform = inject('securityPlatform');

/** The lines of a ConfigError on stderr that name a problem. */
const problemLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('  - '));

describe('a process started in production with a development secret or a weak password', () => {
  it('the gateway with the development JWT_SECRET exits non-zero, saying why in one line', async () => {
    const env = { ...platform.env, JWT_SECRET: DEV_JWT_SECRET, GATEWAY_PORT: String(await freePort()) };
    const outcome = await runToExit('gateway', 'src/index.ts', env);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain('Invalid configuration:');
    expect(problemLines(outcome.stderr)).toEqual([
      "  - JWT_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)",
    ]);
  });

  it('the users subgraph with the development GATEWAY_SECRET and the demo password names both', async () => {
    const env = { ...platform.env, GATEWAY_SECRET: DEV_GATEWAY_SECRET, ADMIN_PASSWORD: DEMO_PASSWORD, USERS_PORT: String(await freePort()) };
    const outcome = await runToExit('subgraphs/users', 'src/index.ts', env);
    expect(outcome.code).toBe(1);
    expect(problemLines(outcome.stderr)).toEqual([
      "  - GATEWAY_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)",
      "  - ADMIN_PASSWORD: a password published in Shopgraph's source, refused when NODE_ENV=production",
    ]);
  });

  it('the workers with ADMIN_PASSWORD=password (the dashboard login) exit non-zero', async () => {
    const env = { ...platform.env, ADMIN_PASSWORD: 'password', DASHBOARD_PORT: String(await freePort()) };
    const outcome = await runToExit('workers', 'src/index.ts', env);
    expect(outcome.code).toBe(1);
    expect(problemLines(outcome.stderr)).toEqual(['  - ADMIN_PASSWORD: shorter than 12 characters, refused when NODE_ENV=production']);
  });

  it('the gateway starts without ADMIN_PASSWORD, which it never uses', async () => {
    const port = await freePort();
    const env = Object.fromEntries(Object.entries({ ...platform.env, GATEWAY_PORT: String(port) }).filter(([name]) => !name.startsWith('ADMIN_')));
    const gateway = startEntry('gateway', 'src/index.ts', env);
    try {
      await healthy(`http://127.0.0.1:${port}/health`, gateway);
    } finally {
      await gateway.kill();
    }
  });
});

describe('a token forged with the development JWT secret', () => {
  it('creates no product on the production platform', async () => {
    const forged = await issueToken(DEV_JWT_SECRET, { id: randomUUID(), role: 'ADMIN' });
    const response = await gql(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku: `FORGED-${randomUUID()}`, name: 'Forged', price: { amount: 100, currency: 'EUR' }, stock: 1 } },
      forged,
    );
    expect(response.data?.createProduct).toBeUndefined();
    expect(codeOf(response)).toBe('UNAUTHENTICATED');
  });
});
