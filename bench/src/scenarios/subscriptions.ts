import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { readMetric } from '../metrics.js';
import { rssMiB, round } from '../proc.js';
import type { Progress } from '../progress.js';
import { benchId } from '../seed.js';
import type { Stage } from '../stage.js';
import { percentiles, type Percentiles } from '../stats.js';

/** How big a run is: what the gateway holds open, over how many connections, and the checkout that moves it. */
export interface SubscriptionsSize {
  /** Open subscriptions the gateway holds while the checkout runs. */
  open: number;
  /** graphql-ws connections they are spread over (as many browsers' tabs would be, a few per connection). */
  connections: number;
  /** Customers shopping at once, each watching its own order instead of polling it. */
  customers: number;
  checkoutSeconds: number;
}

/** `npm run bench:subscriptions`: the 5,000 open subscriptions and a 30 s checkout. */
export const STANDALONE_SIZE: SubscriptionsSize = { open: 5_000, connections: 50, customers: 16, checkoutSeconds: 30 };

/**
 * The size of a run: within `npm run bench`, whose other scenarios take their time, the same
 * 5,000 with a 20 s checkout (about 25 s in all, the gateway started beside the others'); `--quick` a tenth.
 */
export function subscriptionsSize(quick: boolean, standalone = false): SubscriptionsSize {
  if (quick) return { open: 500, connections: 10, customers: 4, checkoutSeconds: 3 };
  return standalone ? STANDALONE_SIZE : { ...STANDALONE_SIZE, checkoutSeconds: 20 };
}

/** Products the subscriptions watch: catalog products with plenty of stock, which the checkout buys. */
const WATCHED_PRODUCTS = 50;

export interface SubscriptionsResult {
  /** Subscriptions opened (the run's size). */
  open: number;
  /** What the gateway's own gauge (`shopgraph_subscriptions_open`) counted once they were open. */
  openOnGateway: number;
  connections: number;
  /** From the first subscribe to the last first push (each subscription's first read). */
  openSeconds: number;
  memory: {
    rssBeforeMiB: number;
    rssAfterMiB: number;
    heapUsedBeforeMiB: number;
    heapUsedAfterMiB: number;
    /** (after − before) / open subscriptions. */
    rssBytesPerSubscription: number;
    heapBytesPerSubscription: number;
  };
  checkout: { customers: number; seconds: number; placed: number; paid: number; rejected: number };
  /** Commit → push handed to the client's connection, from the gateway's histogram (bucket-interpolated), ms. */
  gatewayPushLatencyMs: { p50: number; p99: number; samples: number };
  /** payOrder answered → the PAID push received by the customer (charge + commit + event + read + push), ms. */
  paidPushLatencyMs: Percentiles;
  /** Events received and results pushed by the gateway during the checkout. */
  eventsIn: number;
  pushesOut: number;
  missing: string[];
}

function wsClient(url: string, token?: string): Client {
  return createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    // A storefront keeps its socket from one order to the next, rather than connecting (and
    // authenticating) again for each subscription it opens.
    lazyCloseTimeout: 60_000,
  });
}

/** A quantile of a Prometheus histogram, interpolated linearly inside its bucket, in the histogram's unit. */
function histogramQuantile(buckets: { le: number; count: number }[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return previous.le;
      const inBucket = bucket.count - previous.count;
      return previous.le + (bucket.le - previous.le) * (inBucket > 0 ? (rank - previous.count) / inBucket : 0);
    }
    previous = bucket;
  }
  return previous.le;
}

/** The cumulative buckets of a histogram on a `/metrics` page, summed over labels. */
async function bucketsOf(metricsUrl: string, name: string): Promise<{ le: number; count: number }[]> {
  const byLe = new Map<number, number>();
  for (const sample of await readMetric(metricsUrl, `${name}_bucket`)) {
    const le = sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + sample.value);
  }
  return [...byLe.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
}

const total = async (metricsUrl: string, name: string) => (await readMetric(metricsUrl, name)).reduce((sum, sample) => sum + sample.value, 0);

async function gql(url: string, query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** What graphql-ws's client reports a subscription failed with: an Error, a socket's CloseEvent, or GraphQL errors. */
function subscriptionError(error: unknown): Error {
  if (error instanceof Error) return error;
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (typeof close?.code === 'number') return new Error(`the connection closed: ${close.code} ${String(close.reason ?? '')}`);
  return new Error(JSON.stringify(error));
}

/** Resolves with the first pushed order that `done` accepts. */
function watchOrder(client: Client, orderId: string, done: (order: { status: string; payment: { status: string } | null }) => boolean) {
  return new Promise<{ status: string; payment: { status: string } | null }>((resolve, reject) => {
    const stop = client.subscribe(
      { query: `subscription($id: ID!) { orderUpdated(id: $id) { status payment { status } } }`, variables: { id: orderId } },
      {
        next: (result) => {
          const order = (result.data as { orderUpdated?: { status: string; payment: { status: string } | null } } | undefined)?.orderUpdated;
          if (order && done(order)) {
            stop();
            resolve(order);
          }
        },
        error: (error) => reject(subscriptionError(error)),
        complete: () => reject(new Error('the subscription ended')),
      },
    );
  });
}

export interface SubscriptionsSetup {
  size: SubscriptionsSize;
  gateway: Awaited<ReturnType<Stage['startGateway']>>;
}

/** Starts the gateway the scenario measures, beside the platform's (started with the other scenarios' processes). */
export async function prepareSubscriptions(stage: Stage, size: SubscriptionsSize): Promise<SubscriptionsSetup> {
  const gateway = await stage.startGateway('subscriptions gateway', stage.subgraphs, {
    // One client address opens them all here; a person's limits stay the defaults elsewhere.
    SUBSCRIPTIONS_PER_USER: String(size.open * 2),
    SUBSCRIPTIONS_PER_CONNECTION: String(Math.ceil(size.open / size.connections)),
  });
  return { size, gateway };
}

/**
 * `size.open` (5,000) open subscriptions on one gateway (anonymous `productStock` over
 * `size.connections` graphql-ws connections, watching the products the checkout buys), then a
 * checkout load whose customers watch their orders by subscription instead of polling: what an
 * open subscription costs in memory, and how long from a commit to the push.
 */
export async function runSubscriptions(stage: Stage, progress: Progress, { size, gateway }: SubscriptionsSetup): Promise<SubscriptionsResult> {
  const missing: string[] = [];
  const pid = gateway.process.pid;
  const heapUsedMiB = async () => (await total(gateway.metricsUrl, 'nodejs_heap_size_used_bytes')) / 2 ** 20;
  const firstProduct = stage.options.seed.hotProducts + 1;
  const products = Array.from({ length: WATCHED_PRODUCTS }, (_, i) => benchId('product', firstProduct + i));

  // A few reads first, so what is measured is the subscriptions, not the first plans and parses.
  const warm = wsClient(gateway.url);
  await new Promise<void>((resolve, reject) => {
    const stop = warm.subscribe(
      { query: `subscription($ids: [ID!]!) { productStock(ids: $ids) { id stock } }`, variables: { ids: [products[0]] } },
      { next: () => (stop(), resolve()), error: reject, complete: () => undefined },
    );
  });
  await warm.dispose();
  const rssBeforeMiB = rssMiB(pid) ?? 0;
  const heapUsedBeforeMiB = await heapUsedMiB();

  progress.note(`subscriptions: opening ${size.open} on one gateway over ${size.connections} connections`);
  const clients = Array.from({ length: size.connections }, () => wsClient(gateway.url));
  const stops: (() => void)[] = [];
  const openedAt = performance.now();
  await Promise.all(
    Array.from(
      { length: size.open },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          let first = true;
          stops.push(
            clients[i % size.connections]!.subscribe(
              { query: `subscription($ids: [ID!]!) { productStock(ids: $ids) { id stock } }`, variables: { ids: [products[i % WATCHED_PRODUCTS]] } },
              {
                next: () => {
                  if (first) resolve();
                  first = false;
                },
                error: (error) => reject(subscriptionError(error)),
                complete: () => undefined,
              },
            ),
          );
        }),
    ),
  );
  const openSeconds = (performance.now() - openedAt) / 1000;
  const openOnGateway = await total(gateway.metricsUrl, 'shopgraph_subscriptions_open');
  const rssAfterMiB = rssMiB(pid) ?? 0;
  const heapUsedAfterMiB = await heapUsedMiB();

  progress.note(`subscriptions: ${size.customers} customers check out for ${size.checkoutSeconds} s, watching their orders`);
  const eventsBefore = await total(gateway.metricsUrl, 'shopgraph_subscription_events_total');
  const pushesBefore = await total(gateway.metricsUrl, 'shopgraph_subscription_pushes_total');
  const bucketsBefore = await bucketsOf(gateway.metricsUrl, 'shopgraph_subscription_push_latency_seconds');
  const paidLatencies: number[] = [];
  const counts = { placed: 0, paid: 0, rejected: 0 };
  const until = Date.now() + size.checkoutSeconds * 1000;
  let failure: unknown = null;
  await Promise.all(
    Array.from({ length: size.customers }, async (_, c) => {
      const token = await stage.tokenFor(c + 1);
      const client = wsClient(gateway.url, token);
      try {
        for (let n = 0; Date.now() < until && !failure; n++) {
          const productId = products[(c * 7 + n) % WATCHED_PRODUCTS];
          const placed = await gql(gateway.url, `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, { input: { items: [{ productId, quantity: 1 }] } }, token);
          counts.placed += 1;
          const orderId = placed.placeOrder.id as string;
          const reserved = await watchOrder(client, orderId, (order) => order.status !== 'PENDING');
          if (reserved.status !== 'AWAITING_PAYMENT') {
            counts.rejected += 1;
            continue;
          }
          const paying = watchOrder(client, orderId, (order) => order.status === 'PAID');
          // Awaited below; a failure while payOrder is in flight must not go unhandled meanwhile.
          paying.catch(() => undefined);
          await gql(
            gateway.url,
            `mutation($orderId: ID!, $key: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: "4242424242424242" }) { status } }`,
            { orderId, key: `bench-${orderId}` },
            token,
          );
          const answered = performance.now();
          await paying;
          paidLatencies.push(performance.now() - answered);
          counts.paid += 1;
        }
      } catch (error) {
        failure ??= error;
      } finally {
        await client.dispose();
      }
    }),
  );
  if (failure) missing.push(`subscriptions checkout: ${failure instanceof Error ? failure.message : String(failure)}`);
  const bucketsAfter = await bucketsOf(gateway.metricsUrl, 'shopgraph_subscription_push_latency_seconds');
  const during = bucketsAfter.map((bucket, i) => ({ le: bucket.le, count: bucket.count - (bucketsBefore[i]?.count ?? 0) }));
  const eventsIn = (await total(gateway.metricsUrl, 'shopgraph_subscription_events_total')) - eventsBefore;
  const pushesOut = (await total(gateway.metricsUrl, 'shopgraph_subscription_pushes_total')) - pushesBefore;
  for (const stop of stops) stop();
  await Promise.all(clients.map((client) => client.dispose()));

  const open = size.open;
  return {
    open,
    openOnGateway,
    connections: size.connections,
    openSeconds: round(openSeconds, 2),
    memory: {
      rssBeforeMiB: round(rssBeforeMiB, 1),
      rssAfterMiB: round(rssAfterMiB, 1),
      heapUsedBeforeMiB: round(heapUsedBeforeMiB, 1),
      heapUsedAfterMiB: round(heapUsedAfterMiB, 1),
      rssBytesPerSubscription: Math.round(((rssAfterMiB - rssBeforeMiB) * 2 ** 20) / open),
      heapBytesPerSubscription: Math.round(((heapUsedAfterMiB - heapUsedBeforeMiB) * 2 ** 20) / open),
    },
    checkout: { customers: size.customers, seconds: size.checkoutSeconds, ...counts },
    gatewayPushLatencyMs: {
      p50: round(histogramQuantile(during, 0.5) * 1000, 1),
      p99: round(histogramQuantile(during, 0.99) * 1000, 1),
      samples: during.at(-1)?.count ?? 0,
    },
    paidPushLatencyMs: percentiles(paidLatencies),
    eventsIn,
    pushesOut,
    missing,
  };
}
