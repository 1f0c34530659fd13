import type pg from 'pg';
import type { Shop } from '../shop.js';
import { check } from './check.js';

/** Nothing oversold: each product's stock in the database against what its orders hold and sold; and the scarce product sold out. */
export async function checkNoOversell(sql: pg.Client, { initialOnHand, scarce }: Shop): Promise<void> {
  const stock = (await sql.query<{ id: string; on_hand: number; reserved: number }>(`select id, on_hand, reserved from products.products`)).rows;
  const sold = (await sql.query<{ product_id: string; status: string; quantity: number }>(
    `select i.product_id, o.status, sum(i.quantity)::int as quantity from orders.order_items i join orders.orders o on o.id = i.order_id group by 1, 2`,
  )).rows;
  const soldOf = (id: string, status: string) => sold.find((s) => s.product_id === id && s.status === status)?.quantity ?? 0;
  for (const product of stock.filter((p) => initialOnHand.has(p.id))) {
    const initial = initialOnHand.get(product.id)!;
    const name = product.id === scarce ? `scarce product (${initial})` : `product ${product.id.slice(0, 8)}`;
    check(
      product.on_hand >= product.reserved && product.reserved >= 0 && initial - product.on_hand === soldOf(product.id, 'PAID') && product.reserved === soldOf(product.id, 'AWAITING_PAYMENT'),
      `no oversell of the ${name}: ${soldOf(product.id, 'PAID')} sold, ${product.reserved} held, ${product.on_hand - product.reserved} left`,
    );
  }
  check(soldOf(scarce, 'REJECTED') > 0, 'the scarce product sold out under the load (some orders REJECTED)');
}
