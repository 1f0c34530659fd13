/**
 * What one subgraph's checkout step hands to the next through a processor (docs/checkout.md).
 * Declared here, not in a subgraph, so no subgraph depends on another.
 */

export interface MoneyValue {
  amount: number;
  currency: string;
}

/** The answer of products' `reserveStock`: the same for a repeated delivery. */
export type ReservationResult =
  | { ok: true; lines: { productId: string; quantity: number; name: string; unitPrice: MoneyValue }[] }
  | { ok: false; reason: string };

/** The orders subgraph's OrderStatus (its schema.graphql); subgraphs/orders/src/db/order-statuses.test.ts checks it. */
export type OrderStatusValue = 'PENDING' | 'AWAITING_PAYMENT' | 'PAID' | 'CANCELLED' | 'REJECTED' | 'EXPIRED';

/** An order as the workers need it after a step: enough to inform payments. */
export interface OrderSnapshot {
  orderId: string;
  userId: string;
  status: OrderStatusValue;
  version: number;
  total: MoneyValue | null;
}

export type PaymentStatusValue = 'PROCESSING' | 'SUCCEEDED' | 'FAILED' | 'REFUNDED';

/** The answer of payments' `chargePayment`. */
export interface ChargeOutcome {
  paymentId: string;
  status: PaymentStatusValue;
  orderId: string;
  /** The order version the payment was made for; orders only accepts it at that version. */
  orderVersion: number;
}
