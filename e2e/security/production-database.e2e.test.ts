import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { seedOrders } from '@shopgraph/orders/seed';
import { loadConfig as loadPaymentsConfig } from '@shopgraph/payments/env';
import { seedPayments } from '@shopgraph/payments/seed';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { seedProducts } from '@shopgraph/products/seed';
import { testServerUrl, uniqueName } from '@shopgraph/testing';
import { loadConfig as loadUsersConfig } from '@shopgraph/users/env';
import { seedUsers } from '@shopgraph/users/seed';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { demoOrders, demoOrdersToPay, demoPayments, demoProducts, demoUsers } from '../../scripts/demo-data.js';
import { codeOf, gql } from '../helpers.js';
import { runToExit } from './processes.js';

/**
 * Issue 12 item 3: production never seeds the demo shop (whose customers' password is in the
 * source) and never creates a database it was not told to: a typo in DATABASE_URL is refused
 * at start, in one line that names what is missing.
 */

const platform = inject('securityPlatform');

async function onServer<T>(run: (client: pg.Client) => Promise<T>, url = testServerUrl): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const databaseExists = (name: string) =>
  onServer(async (client) => (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);

/** The demo customers present in the database at `url` (none when it has no users table). */
const demoCustomersIn = (url: string) =>
  onServer(async (client) => {
    const { rows } = await client.query<{ present: boolean }>("select to_regclass('users.users') is not null as present");
    if (!rows[0]!.present) return [];
    const found = await client.query<{ email: string }>('select email from users.users where email = any($1) order by email', [demoUsers.map((user) => user.email)]);
    return found.rows.map((row) => row.email);
  }, url);

/** A database name nobody created, as a typo in DATABASE_URL gives one; dropped afterwards if something created it. */
const typos: string[] = [];
function typoDatabase() {
  const name = uniqueName('sg_typo');
  typos.push(name);
  const url = new URL(platform.databaseUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}
afterAll(async () => {
  await onServer(async (client) => {
    for (const name of typos) await client.query(`drop database if exists "${name}" with (force)`);
  });
});

const serverOf = () => {
  const { hostname, port } = new URL(platform.databaseUrl);
  return `${hostname}:${port || '5432'}`;
};

describe('the production platform', () => {
  it('holds no demo shop: its setup seeded none, and no demo customer can log in', async () => {
    expect(await demoCustomersIn(platform.databaseUrl)).toEqual([]);
    const catalog = await onServer(
      async (client) => (await client.query('select sku from products.products where sku = any($1)', [demoProducts.map((p) => p.sku)])).rows,
      platform.databaseUrl,
    );
    expect(catalog).toEqual([]);
    const login = await gql('mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }', {
      email: demoUsers[0]!.email,
      password: demoUsers[0]!.password,
    });
    expect(login.data?.login).toBeUndefined();
    expect(codeOf(login)).toBe('UNAUTHENTICATED');
  });

  it('is refused by every demo seed, whoever calls it', async () => {
    const refusal = 'the demo shop is never seeded when NODE_ENV=production';
    await expect(seedProducts(loadProductsConfig(platform.env), demoProducts, demoOrders)).rejects.toThrow(refusal);
    await expect(seedUsers(loadUsersConfig(platform.env), demoUsers)).rejects.toThrow(refusal);
    await expect(seedOrders(loadOrdersConfig(platform.env), demoOrders, demoProducts)).rejects.toThrow(refusal);
    await expect(seedPayments(loadPaymentsConfig(platform.env), demoPayments, demoOrdersToPay)).rejects.toThrow(refusal);
    expect(await demoCustomersIn(platform.databaseUrl)).toEqual([]);
  });
});

describe('setup under NODE_ENV=production', () => {
  it('refuses a database that does not exist, in one line, and creates none', async () => {
    const typo = typoDatabase();
    const outcome = await runToExit('', 'scripts/setup.ts', { ...platform.env, DATABASE_URL: typo.url });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe(
      `database ${typo.name} does not exist on ${serverOf()}: create it with \`npm run setup -- --create-database\` or fix DATABASE_URL`,
    );
    expect(await databaseExists(typo.name)).toBe(false);
  });

  it.each<{ how: string; args: string[]; env: Record<string, string> }>([
    { how: '--create-database', args: ['--create-database'], env: {} },
    { how: 'SETUP_CREATE_DATABASE=true', args: [], env: { SETUP_CREATE_DATABASE: 'true' } },
  ])('creates it when told to ($how), and seeds no demo shop into it', async ({ args, env }) => {
    const typo = typoDatabase();
    const outcome = await runToExit('', 'scripts/setup.ts', { ...platform.env, ...env, DATABASE_URL: typo.url }, args);
    expect(outcome).toMatchObject({ code: 0 });
    expect(await databaseExists(typo.name)).toBe(true);
    expect(await demoCustomersIn(typo.url)).toEqual([]);
  });
});

describe('a subgraph started under NODE_ENV=production', () => {
  it('refuses a database that does not exist instead of creating it', async () => {
    const typo = typoDatabase();
    const outcome = await runToExit('subgraphs/users', 'src/index.ts', { ...platform.env, DATABASE_URL: typo.url, USERS_PORT: '0' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`database ${typo.name} does not exist on ${serverOf()}: create it with \`npm run setup -- --create-database\` or fix DATABASE_URL`);
    expect(await databaseExists(typo.name)).toBe(false);
  });
});

describe('setup outside production', () => {
  it('keeps the convenience: creates the missing database and seeds the demo shop', async () => {
    const typo = typoDatabase();
    const outcome = await runToExit('', 'scripts/setup.ts', { ...platform.env, NODE_ENV: 'development', DATABASE_URL: typo.url });
    expect(outcome).toMatchObject({ code: 0 });
    expect(await demoCustomersIn(typo.url)).toEqual(demoUsers.map((user) => user.email).sort());
  });
});
