import { and, eq, lt, or, type SQL } from 'drizzle-orm';
import type { Cursor } from '@shopgraph/common';
import { orders } from './schema.js';

/** Orders after `cursor` in newest-first order; undefined (no filter) for the first page. */
export function olderThan(cursor: Cursor | null): SQL | undefined {
  if (!cursor) return undefined;
  return or(
    lt(orders.createdAt, cursor.createdAt),
    and(eq(orders.createdAt, cursor.createdAt), lt(orders.id, cursor.id)),
  );
}
