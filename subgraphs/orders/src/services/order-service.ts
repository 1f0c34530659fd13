import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm';
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
import { ALL_ORDERS, orderItems, orders, rowCounts, type OrderItemRow, type OrderRow } from '../db/schema.js';

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

/** What a page of orders reads besides the orders, each only when the query asks for it. */
export interface PageReads {
  /** The connection's totalCount. */
  count?: boolean;
  /** The items of each order. */
  items?: boolean;
}

/**
 * The viewer's orders newest first, or every order for an ADMIN; totalCount only if asked for.
 * A customer's first page is one statement: with `reads.count`, the customer's count (an
 * uncorrelated subquery, counted once on orders_user_recent_idx) and, with `reads.items`, each
 * order's items (a subquery per order on the items' primary key) come back with the page and are primed into the
 * loaders, where three statements went before — each a round trip that costs both sides a write
 * and a read on the socket, more than the statement itself. A later page or an admin's keeps the
 * count apart (an admin's is kept by triggers; a later page's is asked for once).
 */
export async function listOrders(ctx: Context, args: PageArgs, reads: PageReads = {}) {
  const viewer = requireViewer(ctx.viewer);
  const { first, after } = parsePageArgs(args);
  const admin = viewer.role === 'ADMIN';
  const withCount = reads.count === true && !admin && !after;
  const withItems = reads.items === true;
  // Every "my orders" page is this read: prepared per kind of viewer, page size, cursor or none, count or none, items or none.
  const page = prepared(ctx.db, `orders_page_${admin ? 'all' : 'own'}_${first + 1}${after ? '_after' : ''}${withCount ? '_count' : ''}${withItems ? '_items' : ''}`, (db) =>
    db
      .select({
        ...getTableColumns(orders),
        total: withCount ? sql<number>`(select count(*)::int from ${orders} where ${orders.userId} = ${sql.placeholder('userId')})` : sql<null>`null`,
        items: withItems
          ? sql<OrderItemRow[]>`(select coalesce(json_agg(json_build_object(
              'orderId', ${orderItems.orderId}, 'productId', ${orderItems.productId}, 'quantity', ${orderItems.quantity},
              'productName', ${orderItems.productName}, 'unitPriceAmount', ${orderItems.unitPriceAmount},
              'unitPriceCurrency', ${orderItems.unitPriceCurrency}) order by ${orderItems.productId}), '[]')
            from ${orderItems} where ${orderItems.orderId} = ${orders.id})`
          : sql<null>`null`,
      })
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
  const orderRows: OrderRow[] = rows.map(({ total: _, items, ...order }) => {
    ctx.loaders.orderById.prime(order.id, order);
    if (items) ctx.loaders.itemsByOrderId.prime(order.id, items);
    return order;
  });
  // No row on a first page: the customer has no orders.
  if (withCount) ctx.loaders.orderCountByUser.prime(viewer.id, rows[0]?.total ?? 0);
  return {
    ...toConnection(orderRows, first),
    // A customer's count walks their entries of orders_user_recent_idx (loaders.ts).
    totalCount: () => (admin ? countAllOrders(ctx) : ctx.loaders.orderCountByUser.load(viewer.id)),
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
