import { randomUUID } from 'node:crypto';
import type { CheckoutLoadCommand, CheckoutLoadResult, CheckoutOrderOutcome } from './protocol.js';

/** How often a customer asks whether its order moved on: the client's view of an async checkout. */
const POLL_MS = 20;
/** Succeeds at the payment-provider simulator. */
const GOOD_CARD = '4242424242424242';
/** Share of orders that also want one unit of a hot product. */
const HOT_SHARE = 0.3;

const PLACE = `mutation Place($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status } }`;
const STATUS = `query OrderStatus($id: ID!) { order(id: $id) { status } }`;
const PAY = `mutation Pay($id: ID!, $key: String!, $card: String!) { payOrder(orderId: $id, idempotencyKey: $key, method: { card: $card }) { id status } }`;

class GraphQLFailure extends Error {}

/**
 * Customers placing and paying orders through the gateway, each one order at a time:
 * placeOrder → (stock reserved asynchronously) AWAITING_PAYMENT → payOrder → (charged
 * asynchronously) PAID. Measures each order from placeOrder sent to PAID seen.
 */
export async function runCheckoutLoad(command: CheckoutLoadCommand): Promise<CheckoutLoadResult> {
  let requests = 0;
  let graphqlErrors = 0;
  let transportErrors = 0;
  let firstError: string | null = null;

  const call = async (token: string, query: string, variables: Record<string, unknown>) => {
    requests += 1;
    let response: Response;
    try {
      response = await fetch(command.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      transportErrors += 1;
      firstError ??= String(error);
      throw error;
    }
    const body = (await response.json()) as { data?: Record<string, any> | null; errors?: unknown[] };
    if (!response.ok || body.errors) {
      graphqlErrors += 1;
      firstError ??= `HTTP ${response.status}: ${JSON.stringify(body).slice(0, 300)}`;
      throw new GraphQLFailure(JSON.stringify(body.errors ?? body).slice(0, 300));
    }
    return body.data!;
  };

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;

  const waitWhile = async (token: string, orderId: string, statuses: string[], deadline: number) => {
    for (;;) {
      const { order } = await call(token, STATUS, { id: orderId });
      const status: string = order?.status ?? 'MISSING';
      if (!statuses.includes(status) || performance.now() > deadline) return status;
      await sleep(POLL_MS);
    }
  };

  const oneOrder = async (token: string): Promise<CheckoutOrderOutcome> => {
    const items: Record<string, number> = {};
    const lines = 1 + Math.floor(Math.random() * 2);
    for (let i = 0; i < lines; i++) items[pick(command.productIds)] = 1 + Math.floor(Math.random() * 2);
    if (command.hotProductIds.length > 0 && Math.random() < HOT_SHARE) items[pick(command.hotProductIds)] = 1;
    const startedAt = performance.now();
    const deadline = startedAt + command.orderTimeoutSeconds * 1000;
    const outcome = (status: string, orderId: string | null) => ({ status, latencyMs: performance.now() - startedAt, orderId, items });
    try {
      const placed = await call(token, PLACE, {
        input: { items: Object.entries(items).map(([productId, quantity]) => ({ productId, quantity })) },
        key: `bench-checkout-${randomUUID()}`,
      });
      const orderId: string = placed.placeOrder.id;
      const reserved = await waitWhile(token, orderId, ['PENDING'], deadline);
      if (reserved !== 'AWAITING_PAYMENT') return outcome(reserved, orderId);
      await call(token, PAY, { id: orderId, key: `bench-pay-${orderId}`, card: GOOD_CARD });
      return outcome(await waitWhile(token, orderId, ['AWAITING_PAYMENT'], deadline), orderId);
    } catch (error) {
      return outcome(error instanceof GraphQLFailure ? 'ERROR' : 'TRANSPORT_ERROR', null);
    }
  };

  const outcomes: CheckoutOrderOutcome[] = [];
  const startedAt = performance.now();
  const stopPlacingAt = startedAt + command.seconds * 1000;
  let placed = 0;
  const mayPlace = () =>
    command.orders > 0 ? placed < command.orders : performance.now() < stopPlacingAt;
  await Promise.all(
    command.tokens.map(async (token) => {
      while (mayPlace()) {
        placed += 1;
        outcomes.push(await oneOrder(token));
      }
    }),
  );
  return { seconds: (performance.now() - startedAt) / 1000, outcomes, requests, graphqlErrors, transportErrors, firstError };
}
