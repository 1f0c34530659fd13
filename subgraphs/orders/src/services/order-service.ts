import { and, desc, eq, sql } from 'drizzle-orm';
import {
  canSeeUserData,
  forbidden,
  notFound,
  parseId,
  parsePageArgs,
  prepared,
  requireViewer,
  toConnection,
  type Money,
} from '@shopgraph/common';
import type { Context } from '../context.js';
import { olderThanPosition } from '../db/keyset.js';
import { ALL_ORDERS, orders, rowCounts, type OrderRow } from '../db/schema.js';

type PageArgs = { first?: number | null; after?: string | null };

/** Money from a pair of columns that are null together (the tables' checks say so). */
export function toMoney(amount: number | null, currency: string | null): Money | null {
  return amount === null || currency === null ? null : { amount, currency };
}

/**
 * The order if the viewer owns it or is an ADMIN. Anyone else gets NOT_FOUND, exactly as for an
 * id that names nothing, so order ids reveal nothing about other customers.
 */
export async function getOrder(ctx: Context, id: string): Promise<OrderRow> {
  const viewer = requireViewer(ctx.viewer);
  const order = await ctx.loaders.orderById.load(parseId(id));
  if (!order || !canSeeUserData(viewer, order.userId)) throw notFound('Order', id);
  return order;
}

/** Every order, exactly: kept by triggers (drizzle/0003_order_count.sql) rather than counted. */
async function countAllOrders(ctx: Context): Promise<number> {
  const allOrdersCount = prepared(ctx.db, 'orders_all_count', (db) =>
    db
      .select({ total: sql<number>`coalesce(sum(${rowCounts.count}), 0)::int` })
      .from(rowCounts)
      .where(eq(rowCounts.name, ALL_ORDERS)),
  );
  const [kept] = await allOrdersCount.execute();
  return kept?.total ?? 0;
}

/** The viewer's orders newest first, or every order for an ADMIN; totalCount only if asked for. */
export async function listOrders(ctx: Context, args: PageArgs) {
  const viewer = requireViewer(ctx.viewer);
  const { first, after } = parsePageArgs(args);
  const admin = viewer.role === 'ADMIN';
  // Every "my orders" page is this read: prepared per kind of viewer, page size and cursor or none.
  const page = prepared(ctx.db, `orders_page_${admin ? 'all' : 'own'}_${first + 1}${after ? '_after' : ''}`, (db) =>
    db
      .select()
      .from(orders)
      .where(
        and(
          admin ? undefined : eq(orders.userId, sql.placeholder('userId')),
          after ? olderThanPosition(sql.placeholder('createdAt'), sql.placeholder('id')) : undefined,
        ),
      )
      .orderBy(desc(orders.createdAt), desc(orders.id))
      .limit(first + 1),
  );
  const rows = await page.execute({ userId: viewer.id, ...(after ? { createdAt: after.createdAt.toISOString(), id: after.id } : {}) });
  for (const row of rows) ctx.loaders.orderById.prime(row.id, row);
  return {
    ...toConnection(rows, first),
    // A customer's count walks their entries of orders_user_recent_idx (loaders.ts).
    totalCount: () => (viewer.role === 'ADMIN' ? countAllOrders(ctx) : ctx.loaders.orderCountByUser.load(viewer.id)),
  };
}

/** `User.orders`: self or ADMIN. Batched across users, so a list of users costs one statement. */
export async function listUserOrders(ctx: Context, userId: string, args: PageArgs) {
  const viewer = requireViewer(ctx.viewer);
  const id = parseId(userId);
  if (!canSeeUserData(viewer, id)) throw forbidden("Only the user and admins may see a user's orders.");
  const { first, after } = parsePageArgs(args);
  const rows = await ctx.loaders.ordersByUser.load({ userId: id, first, after });
  for (const row of rows) ctx.loaders.orderById.prime(row.id, row);
  return { ...toConnection(rows, first), totalCount: () => ctx.loaders.orderCountByUser.load(id) };
}
