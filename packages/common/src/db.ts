import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { DependencyError } from './deps.js';
import type { Logger } from './logger.js';

/** The four owners of data. Each has a Postgres schema and a role of the same name. */
export const subgraphNames = ['products', 'users', 'orders', 'payments'] as const;
export type SubgraphName = (typeof subgraphNames)[number];

export const roleFor = (subgraph: SubgraphName) => `shopgraph_${subgraph}`;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`The database URL ${url} names no database.`);
  return name;
}

/** The command that creates a missing database: the only way production gets one. */
export const CREATE_DATABASE_COMMAND = 'npm run setup -- --create-database';

/**
 * Refuses a database that does not exist, in one line that names it, its server and the two
 * remedies: a typo in DATABASE_URL must not become a new, empty shop.
 */
export async function assertDatabaseExists(url: string, variable = 'DATABASE_URL'): Promise<void> {
  const name = databaseNameOf(url);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      throw new DependencyError(
        `database ${name} does not exist on ${maintenance.hostname}:${maintenance.port || '5432'}: create it with \`${CREATE_DATABASE_COMMAND}\` or fix ${variable}`,
      );
    }
  } finally {
    await client.end();
  }
}

/** Creates the database named by `url` when it is missing (safe when several processes race). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`create database ${quoteIdent(name)}`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database, 23505 a concurrent creator won the race on pg_database.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Gives a subgraph its schema and its role. The role owns its schema and nothing else, so the
 * database itself refuses one subgraph touching another's tables.
 */
export async function ensureSubgraphSchema(adminUrl: string, subgraph: SubgraphName): Promise<void> {
  const role = roleFor(subgraph);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Roles are cluster-wide and several processes (or test files) may create them at once.
    await client.query(`
      do $$ begin
        create role ${quoteIdent(role)} nologin;
      exception when duplicate_object or unique_violation then null;
      end $$`);
    // Lets a non-superuser admin act as the role; a superuser needs nothing, so a refusal is fine.
    await client.query(`grant ${quoteIdent(role)} to current_user`).catch(() => undefined);
    // Concurrent grants on one object fail with "tuple concurrently updated": one at a time.
    await client.query('begin');
    await client.query("select pg_advisory_xact_lock(hashtext('shopgraph:bootstrap'))");
    await client.query(`create schema if not exists ${quoteIdent(subgraph)} authorization ${quoteIdent(role)}`);
    await client.query(`revoke all on schema public from ${quoteIdent(role)}`);
    await client.query(`revoke all on schema ${quoteIdent(subgraph)} from public`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

export type Db = NodePgDatabase<Record<string, never>> & { $client: pg.Pool };

export interface CreateDbOptions {
  url: string;
  subgraph: SubgraphName;
  logger: Logger;
  /** Counts SQL statements on `/metrics` (`shopgraph_sql_statements_total`). */
  registry?: Registry;
  max?: number;
  /**
   * How long a request waits for a new connection before it fails: while Postgres is away a
   * request is answered (SERVICE_UNAVAILABLE), never left hanging.
   */
  connectionTimeoutMs?: number;
}

/** Postgres connection failures, logged once per outage: one line when lost, one when back. */
function watchConnectivity(pool: pg.Pool, logger: Logger): void {
  let lost = false;
  const onLost = (error: Error) => {
    if (lost) return;
    lost = true;
    logger.warn({ err: error }, 'Postgres connection lost: requests fail with SERVICE_UNAVAILABLE until it is back');
  };
  pool.on('error', onLost);
  pool.on('connect', (client) => {
    // A connection checked out of the pool (a transaction waiting on Redis, the outbox relay's
    // lock) has no listener of pg-pool's: without this one, Postgres ending its session
    // (57P01 on a restart) would be an unhandled 'error' event, fatal to the process. The
    // statement in flight, or the next one, fails and its caller hands the connection back.
    client.on('error', onLost);
    if (!lost) return;
    lost = false;
    logger.info('Postgres connection back');
  });
}

/**
 * A pool whose every connection acts as the subgraph's role with its schema as search path,
 * whatever user the URL names — the database enforces who owns what. It rides out a Postgres
 * restart or outage: broken connections are dropped and new ones made on demand.
 */
export function createDb({ url, subgraph, logger, registry, max = 10, connectionTimeoutMs = 5000 }: CreateDbOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectionTimeoutMs,
    options: `-c role=${roleFor(subgraph)} -c search_path=${subgraph}`,
  });
  watchConnectivity(pool, logger);
  const statements = registry
    ? new Counter({
        name: 'shopgraph_sql_statements_total',
        help: 'SQL statements sent to Postgres, by kind',
        labelNames: ['kind'],
        registers: [registry],
      })
    : undefined;
  return drizzle({
    client: pool,
    logger: {
      logQuery(query) {
        const kind = /^\s*(\w+)/.exec(query)?.[1]?.toLowerCase() ?? 'other';
        statements?.inc({ kind });
        logger.trace({ sql: query }, 'sql');
      },
    },
  }) as Db;
}

/**
 * drizzle-kit qualifies the targets of foreign keys with "public" when a table has no schema.
 * Our tables live in the subgraph's schema (the connection's search_path), so the qualifier
 * names that schema instead.
 */
export function inSubgraphSchema(statement: string, subgraph: SubgraphName): string {
  return statement.replaceAll('REFERENCES "public".', `REFERENCES "${subgraph}".`);
}

/**
 * Applies the subgraph's committed drizzle-kit migrations, in drizzle's own bookkeeping format.
 * drizzle's migrator starts with `CREATE SCHEMA IF NOT EXISTS`, which needs a right on the whole
 * database that a subgraph role must not have; this one only touches the role's own schema.
 * An advisory lock makes replicas starting together migrate one after another.
 */
export async function migrateSubgraph(db: Db, subgraph: SubgraphName, migrationsFolder: string): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder });
  const client = await db.$client.connect();
  const lockKey = `shopgraph:migrate:${subgraph}`;
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [lockKey]);
    await client.query(
      'create table if not exists __drizzle_migrations (id serial primary key, hash text not null, created_at bigint)',
    );
    const { rows } = await client.query<{ created_at: string }>(
      'select created_at from __drizzle_migrations order by created_at desc limit 1',
    );
    const last = rows[0] ? Number(rows[0].created_at) : -1;
    const pending = migrations.filter((migration) => migration.folderMillis > last);
    if (pending.length === 0) return;
    await client.query('begin');
    try {
      for (const migration of pending) {
        for (const statement of migration.sql) {
          if (statement.trim()) await client.query(inSubgraphSchema(statement, subgraph));
        }
        await client.query('insert into __drizzle_migrations (hash, created_at) values ($1, $2)', [
          migration.hash,
          migration.folderMillis,
        ]);
      }
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    }
  } finally {
    await client.query('select pg_advisory_unlock(hashtext($1))', [lockKey]).catch(() => undefined);
    client.release();
  }
}

export interface PrepareDatabaseOptions {
  /**
   * Create the database when it is missing (development's convenience, or an explicit setup
   * step); otherwise a missing one is refused by `assertDatabaseExists`.
   */
  createDatabase?: boolean;
}

/**
 * Bootstrap as the admin URL, then migrate as the role: the usual start-up of a subgraph. The
 * database must exist unless `createDatabase` says to create it.
 */
export async function prepareSubgraphDatabase(
  adminUrl: string,
  db: Db,
  subgraph: SubgraphName,
  migrationsFolder: string,
  { createDatabase = false }: PrepareDatabaseOptions = {},
): Promise<void> {
  if (createDatabase) await ensureDatabase(adminUrl);
  else await assertDatabaseExists(adminUrl);
  await ensureSubgraphSchema(adminUrl, subgraph);
  await migrateSubgraph(db, subgraph, migrationsFolder);
}
