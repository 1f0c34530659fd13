import { stableId } from '@shopgraph/common';
import type { OrderStatus } from './db/schema.js';

/**
 * The demo shop's orders, in every status. Customers and products are the users' and products'
 * demo data, named by key: their ids derive from `user:<key>` and `product:<sku>` (stableId),
 * so nothing here imports another subgraph. Each order's id derives from `order:<key>`.
 */

export interface DemoOrder {
  id: string;
  userId: string;
  status: OrderStatus;
  statusReason: string | null;
  items: { productId: string; quantity: number }[];
  /** Minutes before "now" the order was placed; newest first follows from it. */
  placedMinutesAgo: number;
}

/** What the orders seed reads of a product the demo orders hold: the products subgraph's demo catalog. */
export interface CatalogEntry {
  id: string;
  name: string;
  price: { amount: number; currency: string };
}

const order = (
  key: string,
  customer: string,
  status: OrderStatus,
  items: [sku: string, quantity: number][],
  placedMinutesAgo: number,
  statusReason: string | null = null,
): DemoOrder => ({
  id: stableId(`order:${key}`),
  userId: stableId(`user:${customer}`),
  status,
  statusReason,
  items: items.map(([sku, quantity]) => ({ productId: stableId(`product:${sku}`), quantity })),
  placedMinutesAgo,
});

export const demoOrders: DemoOrder[] = [
  order('alice-paid', 'alice', 'PAID', [['MUG-BLUE', 2], ['BEANS-ETH', 1]], 60 * 24 * 3),
  order('alice-awaiting', 'alice', 'AWAITING_PAYMENT', [['LAMP-DSK', 1]], 5),
  order('alice-pending', 'alice', 'PENDING', [['NOTE-A5', 3]], 1),
  order('alice-rejected', 'alice', 'REJECTED', [['HOURGLASS', 20]], 60 * 24 * 2, 'Not enough stock for Hourglass timer (HOURGLASS).'),
  order('alice-expired', 'alice', 'EXPIRED', [['PEN-FNT', 1]], 60 * 24, 'Not paid within 15 minutes: the reservation ran out.'),
  order('alice-cancelled', 'alice', 'CANCELLED', [['CAP-BLK', 1]], 60 * 30),
  order('bob-paid', 'bob', 'PAID', [['HEADPH-WL', 1], ['CABLE-USBC', 2]], 60 * 12),
  order('bob-declined', 'bob', 'AWAITING_PAYMENT', [['KETTLE-GN', 1], ['GRINDER-HND', 1]], 8),
  order('carol-refunded', 'carol', 'CANCELLED', [['BLANKET-WL', 1]], 60 * 48),
  order('carol-processing', 'carol', 'AWAITING_PAYMENT', [['BACKPACK-20', 1]], 2),
];
