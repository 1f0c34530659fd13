import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ensureSubgraphSchema, inSubgraphSchema, type Db } from './db.js';
import { createLogger } from './logger.js';

let database: TestDatabase;
let products: Db;
let users: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  await Promise.all([ensureSubgraphSchema(database.url, 'products'), ensureSubgraphSchema(database.url, 'users')]);
  const logger = createLogger('test', 'silent');
  products = createDb({ url: database.url, subgraph: 'products', logger });
  users = createDb({ url: database.url, subgraph: 'users', logger });
  await users.$client.query('create table secrets (id int primary key, value text)');
  await users.$client.query("insert into secrets values (1, 'hunter2')");
});

afterAll(async () => {
  await products?.$client.end();
  await users?.$client.end();
  await database?.drop();
});

describe('subgraph ownership, enforced by Postgres', () => {
  it('lets a subgraph use its own tables through its search path', async () => {
    const { rows } = await users.$client.query('select current_user as role, value from secrets');
    expect(rows).toEqual([{ role: 'shopgraph_users', value: 'hunter2' }]);
  });

  it("refuses one subgraph's role another subgraph's tables", async () => {
    await expect(products.$client.query('select * from users.secrets')).rejects.toMatchObject({ code: '42501' });
    await expect(products.$client.query("insert into users.secrets values (2, 'x')")).rejects.toMatchObject({ code: '42501' });
  });

  it('refuses creating objects outside its own schema', async () => {
    await expect(products.$client.query('create table public.stray (id int)')).rejects.toMatchObject({ code: '42501' });
    await expect(products.$client.query('create schema rogue')).rejects.toMatchObject({ code: '42501' });
  });

  it('is safe when several processes bootstrap the same schema at once', async () => {
    await expect(Promise.all(Array.from({ length: 5 }, () => ensureSubgraphSchema(database.url, 'orders')))).resolves.toBeDefined();
  });
});

describe('inSubgraphSchema', () => {
  it('points drizzle-kit\'s "public" foreign-key targets at the subgraph schema', () => {
    expect(inSubgraphSchema('ALTER TABLE "a" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "public"."b"("id");', 'orders')).toBe(
      'ALTER TABLE "a" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "orders"."b"("id");',
    );
  });
});
