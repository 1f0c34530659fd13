import { readdirSync } from 'node:fs';
import { subgraphNames } from '@shopgraph/common';
import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';

const migrationCount = (subgraph: string) =>
  readdirSync(new URL(`../../subgraphs/${subgraph}/drizzle`, import.meta.url)).filter((file) => file.endsWith('.sql')).length;

async function appliedMigrations(url: string, subgraph: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string | null }>('select to_regclass($1) as table', [`${subgraph}.__drizzle_migrations`]);
    if (!rows[0]?.table) return undefined;
    const counted = await client.query<{ count: number }>(`select count(*)::int as count from ${subgraph}.__drizzle_migrations`);
    return counted.rows[0]!.count;
  } finally {
    await client.end();
  }
}

describe('the migration step (Kubernetes init container)', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });

  it.each(subgraphNames)('applies every committed migration of %s, and nothing the second time', async (subgraph) => {
    const database = await createTestDatabase('sg_migrate');
    databases.push(database);
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    await migrate(subgraph, env);
    expect(await appliedMigrations(database.url, subgraph)).toBe(migrationCount(subgraph));
    // Every pod of a rollout runs it: the second run finds nothing to do.
    await migrate(subgraph, env);
    expect(await appliedMigrations(database.url, subgraph)).toBe(migrationCount(subgraph));
  });

  it("migrates a subgraph's own database when it has one, and leaves DATABASE_URL's alone", async () => {
    const shared = await createTestDatabase('sg_migrate_shared');
    const own = await createTestDatabase('sg_migrate_own');
    databases.push(shared, own);
    await migrate('orders', { DATABASE_URL: shared.url, ORDERS_DATABASE_URL: own.url, LOG_LEVEL: 'silent' });
    expect(await appliedMigrations(own.url, 'orders')).toBe(migrationCount('orders'));
    expect(await appliedMigrations(shared.url, 'orders')).toBeUndefined();
  });

  it('lets pods starting together migrate once, one after another', async () => {
    const database = await createTestDatabase('sg_migrate_race');
    databases.push(database);
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    await Promise.all(Array.from({ length: 4 }, () => migrate('products', env)));
    expect(await appliedMigrations(database.url, 'products')).toBe(migrationCount('products'));
  });
});
