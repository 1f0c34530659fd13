import type pg from 'pg';
import type { Platform } from './platform.js';

/** An order as the orders subgraph stored it. */
interface OrderRow {
  id: string;
  status: string;
  idempotency_key: string;
}

/** A payment as the payments subgraph stored it. */
interface PaymentRow {
  id: string;
  order_id: string;
  status: string;
  amount: number;
}

/** A charge in the provider's ledger; its idempotency key is the payment's id. */
export interface Charge {
  idempotency_key: string;
  amount: number;
  refunded: boolean;
  created: string;
}

/** Where the run ended: every order and payment in the database, every charge in the provider's ledger. */
export interface FinalState {
  orders: OrderRow[];
  payments: PaymentRow[];
  charges: Charge[];
}

/** Reads the final state once everything has settled. */
export async function readFinalState(sql: pg.Client, platform: Platform): Promise<FinalState> {
  const orders = (await sql.query<OrderRow>(`select id, status, idempotency_key from orders.orders`)).rows;
  const payments = (await sql.query<PaymentRow>(`select id, order_id, status, amount from payments.payments`)).rows;
  const charges = ((await (await fetch(`${platform.provider.url}/v1/charges`, { headers: { authorization: `Bearer ${platform.providerKey}` } })).json()) as { data: Charge[] }).data;
  return { orders, payments, charges };
}

/** The orders in `status`. */
export const ordersIn = (state: FinalState, status: string) => state.orders.filter((o) => o.status === status);

/** The payments in `status`. */
export const paymentsIn = (state: FinalState, status: string) => state.payments.filter((p) => p.status === status);
