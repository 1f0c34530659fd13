import { setTimeout as sleep } from 'node:timers/promises';

/** One request the load sent, as the client saw it. */
export interface RequestRecord {
  operation: string;
  mutation: boolean;
  gateway: string;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: string;
  /** The order a mutation acted on. */
  orderId?: string;
}

interface GraphQLAnswer<Data> {
  data?: Data;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** A failed request: the client may try again (with the same idempotency key for a mutation). */
export class RequestFailed extends Error {
  constructor(
    message: string,
    /** The `extensions.code` of each GraphQL error, when the gateway answered. */
    readonly codes: string[] = [],
  ) {
    super(message);
  }
}

/**
 * The gateways as a Kubernetes Service or an ingress controller presents them: requests are
 * spread over the gateways that pass their readiness probe, and a connection that is refused
 * (nothing was sent) goes to another gateway. A request that was sent and then lost is the
 * client's failure, recorded as such.
 */
export class GatewayBalancer {
  private readonly ready = new Map<string, boolean>();
  private next = 0;
  private probing: NodeJS.Timeout | undefined;
  private probingStopped = false;
  readonly records: RequestRecord[] = [];
  /** Requests sent to each gateway, by the time they were sent. */
  readonly sent: { gateway: string; at: number }[] = [];

  constructor(private readonly gateways: string[]) {
    for (const gateway of gateways) this.ready.set(gateway, true);
  }

  /** Probes /ready every 250 ms, as a kubelet and the endpoints controller would (faster). */
  startProbing(): void {
    const probe = async () => {
      await Promise.all(
        this.gateways.map(async (gateway) => {
          try {
            const response = await fetch(`${gateway}/ready`, { signal: AbortSignal.timeout(1000) });
            await response.body?.cancel();
            this.ready.set(gateway, response.ok);
          } catch {
            this.ready.set(gateway, false);
          }
        }),
      );
      // A round still running when probing stopped must not schedule another: it would keep the run alive.
      if (!this.probingStopped) this.probing = setTimeout(probe, 250);
    };
    this.probingStopped = false;
    void probe();
  }

  stopProbing(): void {
    this.probingStopped = true;
    clearTimeout(this.probing);
  }

  private pick(exclude: Set<string>): string | undefined {
    const candidates = this.gateways.filter((gateway) => this.ready.get(gateway) && !exclude.has(gateway));
    if (candidates.length === 0) return undefined;
    return candidates[this.next++ % candidates.length];
  }

  /** Sends an operation; resolves with its data, or throws RequestFailed after recording why. */
  async request<Data>(operation: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Data> {
    const mutation = query.trimStart().startsWith('mutation');
    const orderId = mutation ? ((variables.orderId ?? variables.id) as string | undefined) : undefined;
    const refused = new Set<string>();
    for (;;) {
      const gateway = this.pick(refused);
      if (!gateway) {
        // No gateway ready: wait for one, as a client behind a Service with no endpoints would time out.
        await sleep(50);
        refused.clear();
        continue;
      }
      const startedAt = Date.now();
      let answer: GraphQLAnswer<Data>;
      try {
        const response = await fetch(`${gateway}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables, operationName: operation }),
          signal: AbortSignal.timeout(30_000),
        });
        this.sent.push({ gateway, at: startedAt });
        answer = (await response.json()) as GraphQLAnswer<Data>;
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code === 'ECONNREFUSED') {
          this.ready.set(gateway, false);
          refused.add(gateway);
          continue;
        }
        this.record({ operation, mutation, gateway, startedAt, ok: false, error: `${(error as Error).message}${code ? ` (${code})` : ''}`, orderId });
        throw new RequestFailed(operation);
      }
      if (answer.errors?.length || !answer.data) {
        const codes = answer.errors?.map((e) => e.extensions?.code ?? e.message) ?? [];
        const error = codes.join(', ') || 'no data';
        this.record({ operation, mutation, gateway, startedAt, ok: false, error, orderId });
        throw new RequestFailed(`${operation}: ${error}`, codes);
      }
      this.record({ operation, mutation, gateway, startedAt, ok: true, orderId });
      return answer.data;
    }
  }

  private record(record: Omit<RequestRecord, 'endedAt'>): void {
    this.records.push({ ...record, endedAt: Date.now() });
  }
}

export interface Customer {
  email: string;
  token: string;
}

/**
 * What a customer means to do with an order once its stock is reserved: pay for it; cancel it
 * unpaid (its stock released); pay, then cancel it (refunded, its stock restored); or leave it
 * unpaid until its reservation expires.
 */
export type Intent = 'pay' | 'cancel-unpaid' | 'cancel-paid' | 'abandon';

/** Each shopper's orders go through the intents in this order, one after another. */
const intents: Intent[] = ['pay', 'cancel-paid', 'pay', 'cancel-unpaid', 'pay', 'abandon'];

/** What the customers were told: the orders they placed and how each ended, by idempotency key. */
export interface CheckoutRecord {
  key: string;
  intent: Intent;
  orderId?: string;
  /** The status the customer last saw. */
  status?: string;
  /** placeOrder → PAID, as the customer waited for it. */
  paidAfterMs?: number;
  payRequested: boolean;
  /** Payments that ended FAILED before one went through: the customer paid again each time. */
  failedPayments: number;
  cancelRequested: boolean;
}

const ORDER_FIELDS = 'id status payment { id status }';

type OrderView = { id: string; status: string; payment: { id: string; status: string } | null };

/**
 * Repeats `send` until it succeeds: a mutation with the same idempotency key, as a careful client
 * does. `'refused'` when the answer is CONFLICT (the order's state forbids it: trying again will
 * not help); undefined when the run stopped first.
 */
async function untilAnswered<T>(send: () => Promise<T>, running: () => boolean): Promise<T | 'refused' | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof RequestFailed)) throw error;
      if (error.codes.includes('CONFLICT')) return 'refused';
      if (!running() && attempt >= 20) return undefined;
      await sleep(200);
    }
  }
}

/**
 * A customer buying: place an order, wait for its reservation, then act on it as the next
 * intent says (pay and wait for PAID, cancel, or leave it); again.
 */
export async function shopper(
  balancer: GatewayBalancer,
  customer: Customer,
  pickItems: () => { productId: string; quantity: number }[],
  checkouts: CheckoutRecord[],
  running: () => boolean,
  id: string,
  offset: number,
): Promise<void> {
  for (let n = 0; running(); n++) {
    const record: CheckoutRecord = { key: `${id}-${n}`, intent: intents[(n + offset) % intents.length]!, payRequested: false, failedPayments: 0, cancelRequested: false };
    checkouts.push(record);
    const startedAt = Date.now();
    // A retry sends the same order under the same key: another one would be refused (CONFLICT).
    const items = pickItems();
    const placed = await untilAnswered(
      () =>
        balancer.request<{ placeOrder: { id: string; status: string } }>(
          'PlaceOrder',
          `mutation PlaceOrder($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id status } }`,
          { input: { items }, key: record.key },
          customer.token,
        ),
      running,
    );
    if (!placed) return;
    if (placed === 'refused') throw new Error(`placeOrder ${record.key} was refused: its key was sent with other items`);
    record.orderId = placed.placeOrder.id;
    record.status = placed.placeOrder.status;
    const order = async () =>
      (
        await balancer.request<{ order: OrderView }>(
          'OrderStatus',
          `query OrderStatus($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`,
          { id: record.orderId },
          customer.token,
        )
      ).order;
    const waitFor = async (done: (o: OrderView) => boolean) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const seen = await order().catch((error: unknown) => {
          if (error instanceof RequestFailed) return undefined;
          throw error;
        });
        if (seen) record.status = seen.status;
        if (seen && done(seen)) return seen;
        await sleep(100);
      }
      return undefined;
    };
    // A cancel whose answer was lost may have been applied: look before cancelling again, so a
    // retry is never refused for an order already CANCELLED.
    const cancel = async () => {
      record.cancelRequested = true;
      for (let attempt = 0; attempt < 100; attempt++) {
        const seen = await waitFor(() => true);
        // CANCELLED: done. EXPIRED: the reservation ran out before the customer acted.
        if (seen && !['AWAITING_PAYMENT', 'PAID'].includes(seen.status)) return;
        const answered = await balancer
          .request<{ cancelOrder: { status: string } }>('CancelOrder', `mutation CancelOrder($id: ID!) { cancelOrder(id: $id) { id status } }`, { id: record.orderId }, customer.token)
          .then(
            (data) => {
              record.status = data.cancelOrder.status;
              return true;
            },
            (error: unknown) => {
              if (error instanceof RequestFailed) return false;
              throw error;
            },
          );
        if (answered) return;
        await sleep(200);
      }
    };
    const reserved = await waitFor((o) => o.status !== 'PENDING');
    if (reserved?.status !== 'AWAITING_PAYMENT' || record.intent === 'abandon') continue;
    if (record.intent === 'cancel-unpaid') {
      await cancel();
      continue;
    }
    record.payRequested = true;
    // A payment that FAILED (its charge gave up while the provider was away) is paid again under a new key.
    for (let attempt = 0; ; attempt++) {
      const paying = await untilAnswered(
        () =>
          balancer.request<{ payOrder: { id: string; status: string } }>(
            'PayOrder',
            `mutation PayOrder($orderId: ID!, $key: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: "4242424242424242" }) { id status } }`,
            { orderId: record.orderId, key: `pay-${record.key}${attempt === 0 ? '' : `-${attempt}`}` },
            customer.token,
          ),
        running,
      );
      if (!paying) return;
      // Refused: the reservation ran out before the payment reached payments (the order EXPIRED).
      if (paying === 'refused') {
        await waitFor(() => true);
        break;
      }
      const settled = await waitFor(
        (o) => !['PENDING', 'AWAITING_PAYMENT'].includes(o.status) || (o.payment?.id === paying.payOrder.id && o.payment.status === 'FAILED'),
      );
      if (settled?.status === 'PAID') record.paidAfterMs = Date.now() - startedAt;
      if (settled?.status !== 'AWAITING_PAYMENT' || attempt >= 5) break;
      record.failedPayments++;
    }
    if (record.intent === 'cancel-paid' && record.paidAfterMs !== undefined) await cancel();
  }
}

/** A visitor browsing: the catalog, a product, a search, and (logged in) their orders. */
export async function browser(balancer: GatewayBalancer, customer: Customer, productIds: string[], running: () => boolean): Promise<void> {
  const reads = [
    () => balancer.request('Catalog', `query Catalog { products(first: 10) { totalCount edges { node { id name stock price { amount } } } } }`, {}),
    () => balancer.request('Product', `query Product($id: ID!) { product(id: $id) { id name stock } }`, { id: productIds[Math.floor(Math.random() * productIds.length)] }),
    () => balancer.request('Search', `query Search { products(first: 5, search: "scale") { edges { node { id name } } } }`, {}),
    () =>
      balancer.request(
        'MyOrders',
        `query MyOrders { me { name orders(first: 5) { edges { node { id status total { amount } items { quantity product { name } } payment { status } } } } } }`,
        {},
        customer.token,
      ),
  ];
  while (running()) {
    await reads[Math.floor(Math.random() * reads.length)]!().catch((error: unknown) => {
      if (!(error instanceof RequestFailed)) throw error;
    });
    await sleep(20);
  }
}
