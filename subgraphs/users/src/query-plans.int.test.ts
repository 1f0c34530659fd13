import { createDb, createLogger, prepareSubgraphDatabase, type Db } from '@shopgraph/common';
import { createTestDatabase, planProblemsOfRead, StatementRecorder, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoaders } from './loaders.js';
import { migrationsFolder } from './server.js';

// The users subgraph serves no list of its own; its one read of many rows is the loader behind
// every User reference (a page of orders names a page of users). EXPLAINed as it is sent, fresh
// and after an ANALYZE that newer rows postdate, on 20,000 users: at a few thousand (~35 pages)
// Postgres rightly prices reading the whole table below 20 probes of its primary key.

const logger = createLogger('users-plans', 'silent');

let database: TestDatabase;
let db: Db;
let recorded: Db;
const recorder = new StatementRecorder();

async function insertUsers(first: number, count: number) {
  await db.execute(sql`
    insert into users (email, name, password_hash)
    select 'customer' || i || '@plans.test', 'Customer ' || i, 'none'
    from generate_series(${first}::int, ${first + count - 1}::int) as i`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'users', logger, max: 2 });
  await prepareSubgraphDatabase(database.url, db, 'users', migrationsFolder);
  // The same connections, every statement recorded as sent.
  recorded = drizzle({ client: db.$client, logger: recorder.logger }) as Db;
  await insertUsers(1, 20_000);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

/** Users by id, 20 at once, as a page of orders asks for its owners. */
async function loadUsers() {
  const { rows } = await db.execute<{ id: string }>(sql`select id from users order by email limit 20`);
  const loaders = createLoaders(recorded);
  return Promise.all(rows.map((row) => loaders.userById.load(row.id)));
}

describe.each([
  ['on rows never analyzed', false],
  ['on rows inserted after the last ANALYZE', true],
])('%s', (_, analyzed) => {
  beforeAll(async () => {
    if (!analyzed) return;
    await db.execute(sql`analyze users`);
    await insertUsers(20_001, 5000);
  });

  it('loads users by id through their primary key and scans no large table', async () => {
    expect(await planProblemsOfRead(db.$client, recorder, loadUsers, { uses: ['users_pkey'], anyNodeType: !analyzed })).toEqual([]);
  });
});
