import { sql, type Param, type Placeholder, type SQL } from 'drizzle-orm';
import type { Cursor } from '@shopgraph/common';
import { orders } from './schema.js';

/**
 * Orders after `cursor` in newest-first order; undefined (no filter) for the first page. A row
 * comparison means what `created_at < c or (created_at = c and id < i)` means (both columns are
 * NOT NULL), but the planner can seek the (…, created_at desc, id desc) indexes to it rather than
 * filter every newer row on the way.
 */
export function olderThan(cursor: Cursor | null): SQL | undefined {
  if (!cursor) return undefined;
  return olderThanPosition(sql.param(cursor.createdAt, orders.createdAt), sql.param(cursor.id, orders.id));
}

/** `olderThan` for a position given as parameters or placeholders (of a prepared statement). */
export const olderThanPosition = (createdAt: Param | Placeholder, id: Param | Placeholder): SQL =>
  sql`(${orders.createdAt}, ${orders.id}) < (${createdAt}, ${id})`;
