import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createTestDatabase, testServerUrl, uniqueName, waitFor, type TestDatabase } from '@shopgraph/testing';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, ensureSubgraphSchema, inSubgraphSchema, prepareSubgraphDatabase, type Db } from './db.js';
import { DependencyError } from './deps.js';
import { isDependencyUnavailable } from './errors.js';
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

describe('a database nobody created', () => {
  const missingUrl = () => {
    const url = new URL(testServerUrl);
    url.pathname = `/${uniqueName('sg_typo')}`;
    return url.toString();
  };
  const exists = async (url: string) => {
    const client = new pg.Client({ connectionString: testServerUrl });
    await client.connect();
    try {
      const name = new URL(url).pathname.slice(1);
      return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    } finally {
      await client.end();
    }
  };
  // A subgraph without migrations: what is tested happens before them.
  const noMigrations = mkdtempSync(`${tmpdir()}/sg-no-migrations-`);
  mkdirSync(`${noMigrations}/meta`);
  writeFileSync(`${noMigrations}/meta/_journal.json`, JSON.stringify({ entries: [] }));
  afterAll(() => rmSync(noMigrations, { recursive: true, force: true }));

  it('is refused unless asked for, in one line naming it, its server and both remedies, and is not created', async () => {
    const url = missingUrl();
    const name = new URL(url).pathname.slice(1);
    const { hostname, port } = new URL(testServerUrl);
    const db = createDb({ url, subgraph: 'products', logger: createLogger('test', 'silent'), max: 1 });
    try {
      const attempt = prepareSubgraphDatabase(url, db, 'products', noMigrations);
      await expect(attempt).rejects.toThrow(DependencyError);
      await expect(attempt).rejects.toThrow(
        `database ${name} does not exist on ${hostname}:${port || '5432'}: create it with \`npm run setup -- --create-database\` or fix DATABASE_URL`,
      );
      expect(await exists(url)).toBe(false);
    } finally {
      await db.$client.end();
    }
  });

  it('is created when asked for', async () => {
    const url = missingUrl();
    const db = createDb({ url, subgraph: 'products', logger: createLogger('test', 'silent'), max: 1 });
    try {
      await prepareSubgraphDatabase(url, db, 'products', noMigrations, { createDatabase: true });
      expect(await exists(url)).toBe(true);
    } finally {
      await db.$client.end();
      const client = new pg.Client({ connectionString: testServerUrl });
      await client.connect();
      await client.query(`drop database if exists "${new URL(url).pathname.slice(1)}" with (force)`).finally(() => client.end());
    }
  });
});

describe('inSubgraphSchema', () => {
  it('points drizzle-kit\'s "public" foreign-key targets at the subgraph schema', () => {
    expect(inSubgraphSchema('ALTER TABLE "a" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "public"."b"("id");', 'orders')).toBe(
      'ALTER TABLE "a" ADD CONSTRAINT "f" FOREIGN KEY ("x") REFERENCES "orders"."b"("id");',
    );
  });
});

describe('a Postgres restart or outage under a pool', () => {
  /** Runs `sql` on the maintenance database, as an operator would. */
  const asOperator = async (sql: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: testServerUrl });
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end();
    }
  };
  const terminateSessions = () =>
    asOperator('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database.name]);
  const sessionsLeft = async () =>
    (await asOperator('select count(*)::int as n from pg_stat_activity where datname = $1', [database.name])).rows[0].n as number;

  /** A pool whose log lines the test reads. */
  function watchedPool() {
    const lines: { level: number; msg: string }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const db = createDb({ url: database.url, subgraph: 'products', logger: pino({ level: 'info' }, stream), max: 2 });
    return { db, messages: () => lines.map((line) => line.msg) };
  }

  it('survives its sessions terminated while one is checked out idle (57P01), and connects again', async () => {
    const { db, messages } = watchedPool();
    try {
      // Checked out and between statements, as in a transaction waiting on Redis: no listener of
      // pg-pool's is on it, and an unhandled 'error' event would end the test process.
      const checkedOut = await db.$client.connect();
      await checkedOut.query('select 1');
      await terminateSessions();
      await waitFor(async () => (await sessionsLeft()) === 0, { what: 'the sessions to end' });
      const failure = await checkedOut.query('select 1').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isDependencyUnavailable(failure)).toBe(true);
      checkedOut.release(failure as Error);

      const { rows } = await db.$client.query('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
      expect(messages().filter((msg) => msg.startsWith('Postgres connection lost'))).toHaveLength(1);
      expect(messages().filter((msg) => msg === 'Postgres connection back')).toHaveLength(1);
    } finally {
      await db.$client.end();
    }
  });

  it('fails statements with an error that says unavailable while the database refuses connections, and serves again after', async () => {
    const { db } = watchedPool();
    try {
      await db.$client.query('select 1');
      await asOperator(`alter database "${database.name}" allow_connections false`);
      try {
        await terminateSessions();
        await waitFor(async () => (await sessionsLeft()) === 0, { what: 'the sessions to end' });
        const failure = await db.execute('select 1').then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeDefined();
        expect(isDependencyUnavailable(failure)).toBe(true);
      } finally {
        await asOperator(`alter database "${database.name}" allow_connections true`);
      }
      const { rows } = await db.$client.query('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.$client.end();
    }
  });
});
