import { stableId } from '@shopgraph/common';
import type { OrderStatusValue } from '@shopgraph/queues';

/**
 * The demo shop's payments, in every status. Customers and orders are the users' and orders'
 * demo data, named by key: their ids derive from `user:<key>` and `order:<key>` (stableId), so
 * nothing here imports another subgraph. Each payment's id derives from `payment:<key>`.
 */

export type DemoPaymentStatus = 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

export interface DemoPayment {
  id: string;
  orderId: string;
  userId: string;
  status: DemoPaymentStatus;
  failureReason: string | null;
  cardLast4: string;
  placedMinutesAgo: number;
}

/** What the payments seed reads of a demo order: the orders subgraph's demo orders, priced. */
export interface DemoOrderToPay {
  id: string;
  userId: string;
  status: OrderStatusValue;
  total: { amount: number; currency: string };
}

const payment = (
  key: string,
  orderKey: string,
  customer: string,
  status: DemoPaymentStatus,
  cardLast4: string,
  placedMinutesAgo: number,
  failureReason: string | null = null,
): DemoPayment => ({
  id: stableId(`payment:${key}`),
  orderId: stableId(`order:${orderKey}`),
  userId: stableId(`user:${customer}`),
  status,
  failureReason,
  cardLast4,
  placedMinutesAgo,
});

export const demoPayments: DemoPayment[] = [
  payment('alice-paid', 'alice-paid', 'alice', 'SUCCEEDED', '4242', 60 * 24 * 3 - 1),
  payment('bob-paid', 'bob-paid', 'bob', 'SUCCEEDED', '4242', 60 * 12 - 1),
  payment('bob-declined', 'bob-declined', 'bob', 'FAILED', '0002', 7, 'card_declined'),
  payment('carol-refunded', 'carol-refunded', 'carol', 'REFUNDED', '4242', 60 * 48 - 1),
  payment('carol-processing', 'carol-processing', 'carol', 'PROCESSING', '4242', 1),
];
