import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, createLogger, migrateSubgraph, prepareSubgraphDatabase, type Db, type Viewer } from '@shopgraph/common';
import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { orders } from '../db/schema.js';
import { migrationsFolder } from '../server.js';
import { listOrders } from './order-service.js';

// An admin's totalCount is kept by the triggers of drizzle/0003_order_count.sql, not counted per
// request: it must stay exact whoever writes, however many write at once.

const logger = createLogger('test', 'silent');
const admin: Viewer = { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' };

let database: TestDatabase;
let db: Db;

const totalCount = async (on: Db = db) =>
  (await listOrders(createContext(on, { viewer: admin, requestId: 'count', logger }), { first: 1 })).totalCount();
const rowsOf = async (on: Db = db) => (await on.execute<{ total: number }>(sql`select count(*)::int as total from ${orders}`)).rows[0]!.total;
const newOrder = () => ({ userId: randomUUID(), status: 'PENDING' as const });

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'orders', logger, max: 20 });
  await prepareSubgraphDatabase(database.url, db, 'orders', migrationsFolder);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

describe("an admin's orders totalCount", () => {
  it('stays exact under concurrent inserts, deletes and rolled-back inserts', async () => {
    const doomed = await db.insert(orders).values(Array.from({ length: 20 }, newOrder)).returning({ id: orders.id });
    const rolledBack = new Error('rolled back on purpose');
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 60 }, () => db.insert(orders).values(newOrder())),
      ...doomed.map(({ id }) => db.execute(sql`delete from ${orders} where ${orders.id} = ${id}`)),
      ...Array.from({ length: 20 }, () =>
        db.transaction(async (tx) => {
          await tx.insert(orders).values([newOrder(), newOrder()]);
          throw rolledBack;
        }),
      ),
    ]);
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(failures).toHaveLength(20);
    expect(failures.every((reason) => reason === rolledBack)).toBe(true);

    expect(await totalCount()).toBe(60);
    expect(await rowsOf()).toBe(60);
  });

  it('follows bulk inserts and truncation, and ignores status changes', async () => {
    await db.execute(sql`insert into orders (user_id, status) select gen_random_uuid(), 'PENDING' from generate_series(1, 300)`);
    await db.execute(sql`update orders set status = 'CANCELLED'`);
    expect(await totalCount()).toBe(await rowsOf());
    await db.execute(sql`truncate orders cascade`);
    expect(await totalCount()).toBe(0);
    await db.insert(orders).values(newOrder());
    expect(await totalCount()).toBe(1);
  });

  it('starts from the orders a database already had when the migration arrives', async () => {
    const existing = await createTestDatabase();
    const folder = await mkdtemp(path.join(tmpdir(), 'orders-migrations-'));
    const older = createDb({ url: existing.url, subgraph: 'orders', logger, max: 2 });
    try {
      // The schema as it was before drizzle/0002 and 0003: only the first two migrations.
      await cp(migrationsFolder, folder, { recursive: true });
      const journalPath = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((entry) => entry.tag < '0002');
      await writeFile(journalPath, JSON.stringify(journal));
      await prepareSubgraphDatabase(existing.url, older, 'orders', folder);
      await older.execute(sql`insert into orders (user_id, status) select gen_random_uuid(), 'PAID' from generate_series(1, 42)`);

      await migrateSubgraph(older, 'orders', migrationsFolder);
      expect(await totalCount(older)).toBe(42);
      const { rows: indexes } = await older.execute<{ indexdef: string }>(
        sql`select indexdef from pg_indexes where indexname in ('orders_recent_idx', 'orders_user_recent_idx') order by indexname`,
      );
      expect(indexes.map((index) => index.indexdef)).toEqual([
        expect.stringContaining('(created_at DESC, id DESC)'),
        expect.stringContaining('(user_id, created_at DESC, id DESC)'),
      ]);
    } finally {
      await older.$client.end();
      await existing.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
