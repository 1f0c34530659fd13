import DataLoader from 'dataloader';
import { and, asc, count, desc, sql } from 'drizzle-orm';
import { encodeCursor, inKeyOrder, isAnyOf, prepared, type Cursor, type Db } from '@shopgraph/common';
import { olderThan } from './db/keyset.js';
import { orderItems, orders, type OrderItemRow, type OrderRow } from './db/schema.js';

/** One page of one user's orders: `first + 1` rows are fetched, the extra one says "there is more". */
export interface UserOrdersKey {
  userId: string;
  first: number;
  after: Cursor | null;
}

/** Keys with the same shape share one statement. */
const pageShape = (key: Pick<UserOrdersKey, 'first' | 'after'>) =>
  `${key.first}|${key.after ? encodeCursor(key.after) : ''}`;

function groupBy<Row, Key>(rows: readonly Row[], keyOf: (row: Row) => Key): Map<Key, Row[]> {
  const groups = new Map<Key, Row[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Several users' pages that share `first` and `after`, in one statement. */
async function selectUserPages(db: Db, userIds: string[], shape: Pick<UserOrdersKey, 'first' | 'after'>) {
  // A lateral join walks (user_id, created_at desc, id desc) once per user and stops after
  // first + 1 rows, however many orders a user has.
  const requested = sql`unnest(${sql.param(userIds)}::uuid[]) as requested(user_id)`;
  const page = db
    .select()
    .from(orders)
    .where(and(sql`${orders.userId} = requested.user_id`, olderThan(shape.after)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(shape.first + 1)
    .as('page');
  return db.select(page._.selectedFields).from(requested).crossJoinLateral(page);
}

/**
 * Per-request batch loaders: one SQL statement per kind of read per tick, whatever the fan-out.
 * `batch: false` (DATALOADER_BATCH=false) loads one key per statement, for the benchmark's baseline.
 */
export function createLoaders(db: Db, batch = true) {
  const statements = {
    ordersByIds: prepared(db, 'orders_by_ids', (db) => db.select().from(orders).where(isAnyOf(orders.id, 'ids'))),
    itemsByOrderIds: prepared(db, 'order_items_by_order_ids', (db) =>
      db.select().from(orderItems).where(isAnyOf(orderItems.orderId, 'orderIds')).orderBy(asc(orderItems.orderId), asc(orderItems.productId)),
    ),
    orderCountsByUserIds: prepared(db, 'order_counts_by_user_ids', (db) =>
      db.select({ userId: orders.userId, total: count() }).from(orders).where(isAnyOf(orders.userId, 'userIds')).groupBy(orders.userId),
    ),
  };
  return {
    /** Every order, whoever owns it: callers decide who may see it. */
    orderById: new DataLoader<string, OrderRow | null>(async (ids) => inKeyOrder(ids, await statements.ordersByIds.execute({ ids })), { batch }),

    itemsByOrderId: new DataLoader<string, OrderItemRow[]>(async (orderIds) => {
      const rows = await statements.itemsByOrderIds.execute({ orderIds });
      const byOrder = groupBy(rows, (row) => row.orderId);
      return orderIds.map((id) => byOrder.get(id) ?? []);
    }, { batch }),

    /** `User.orders` for many users: one statement per distinct (first, after), usually one. */
    ordersByUser: new DataLoader<UserOrdersKey, OrderRow[], string>(
      async (keys) => {
        const pages = new Map<string, OrderRow[]>();
        await Promise.all(
          [...groupBy(keys, pageShape).entries()].map(async ([shape, group]) => {
            const rows = await selectUserPages(db, [...new Set(group.map((key) => key.userId))], group[0]!);
            for (const [userId, userRows] of groupBy(rows, (row) => row.userId)) pages.set(`${userId}|${shape}`, userRows);
          }),
        );
        return keys.map((key) => pages.get(`${key.userId}|${pageShape(key)}`) ?? []);
      },
      { cacheKeyFn: (key) => `${key.userId}|${pageShape(key)}`, batch },
    ),

    orderCountByUser: new DataLoader<string, number>(async (userIds) => {
      const rows = await statements.orderCountsByUserIds.execute({ userIds });
      const totals = new Map(rows.map((row) => [row.userId, row.total]));
      return userIds.map((id) => totals.get(id) ?? 0);
    }, { batch }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
