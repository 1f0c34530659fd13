import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from './db.js';

/*
 * The reads every request makes (an entity by id, a page of a list) as prepared statements:
 * built by drizzle once per pool instead of once per request — building was most of drizzle's
 * share of an orders page's CPU, its `is()` checks alone 7 % — and parsed by Postgres once per
 * connection (node-postgres prepares a named statement at its first use on each connection).
 * Postgres may then plan it once too: a statement prepared here has its page size in its text
 * (and its name), never as a parameter, for a LIMIT parameter can make a generic plan sort the
 * whole table.
 */

const statements = new WeakMap<Db, Map<string, unknown>>();

/**
 * The statement `build` makes over `db`, prepared under `name`: built at the first call for this
 * pool, the same object after. `name` names exactly one statement text.
 */
export function prepared<Statement>(db: Db, name: string, build: (db: Db) => { prepare(name: string): Statement }): Statement {
  let byName = statements.get(db);
  if (!byName) {
    byName = new Map();
    statements.set(db, byName);
  }
  let statement = byName.get(name) as Statement | undefined;
  if (statement === undefined) {
    statement = build(db).prepare(name);
    byName.set(name, statement);
  }
  return statement;
}

/**
 * `column = any($placeholder)`: the `in (…)` of a batch load, one parameter (an array) however
 * many keys, so that one prepared statement serves every batch size.
 */
export const isAnyOf = (column: AnyPgColumn, placeholder: string): SQL => sql`${column} = any(${sql.placeholder(placeholder)})`;
