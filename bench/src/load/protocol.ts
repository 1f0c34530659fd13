/** Messages between the benchmark and its load-generating child process (Node IPC, advanced serialization). */

export interface HttpRequestSpec {
  body: string;
  headers?: Record<string, string>;
}

export interface HttpLoadCommand {
  kind: 'http';
  url: string;
  /** Sent in turn, shared by all connections, so concurrent requests differ as real traffic does. */
  requests: HttpRequestSpec[];
  connections: number;
  seconds: number;
  /** Stop after this many requests instead of after `seconds`. */
  amount?: number;
  /** Response headers whose values are tallied (e.g. the cache status). */
  countHeaders: string[];
  /** Sign every request (fresh nonce each) as the gateway signs its calls to subgraph `audience`. */
  sign?: { secret: string; audience: string };
}

export interface HttpLoadResult {
  /** Completed responses, whatever their status. */
  requests: number;
  seconds: number;
  /** Socket errors and timeouts. */
  transportErrors: number;
  non2xx: number;
  /** 2xx responses whose JSON carries an `errors` member. */
  graphqlErrors: number;
  /** Every response's latency, in milliseconds (sub-millisecond resolution). */
  latenciesMs: Float64Array;
  /** header → value → responses. */
  headerCounts: Record<string, Record<string, number>>;
  /** The first body with an error, to say what went wrong. */
  firstError: string | null;
}

export interface CheckoutLoadCommand {
  kind: 'checkout';
  gatewayUrl: string;
  /** One bearer token per customer; each customer runs one order at a time. */
  tokens: string[];
  /** Products each order picks from; the hot ones are in every order with some probability. */
  productIds: string[];
  hotProductIds: string[];
  /** Stop placing new orders after this many seconds (0: place exactly `orders`). */
  seconds: number;
  /** Place exactly this many orders in all (used for the counted run); 0: bounded by `seconds`. */
  orders: number;
  /** An order that has not reached a final status by then counts as stuck. */
  orderTimeoutSeconds: number;
}

export interface CheckoutOrderOutcome {
  /** PAID, REJECTED (out of stock), or the status it was stuck in. */
  status: string;
  /** placeOrder sent → PAID seen (or the final status seen), ms. */
  latencyMs: number;
  orderId: string | null;
  /** Items of the order: productId → quantity. */
  items: Record<string, number>;
}

export interface CheckoutLoadResult {
  seconds: number;
  outcomes: CheckoutOrderOutcome[];
  /** HTTP requests sent to the gateway (placing, polling, paying). */
  requests: number;
  graphqlErrors: number;
  transportErrors: number;
  firstError: string | null;
}

export type LoadCommand = HttpLoadCommand | CheckoutLoadCommand;
export type LoadResult<C extends LoadCommand> = C extends HttpLoadCommand ? HttpLoadResult : CheckoutLoadResult;

export type ParentMessage = { id: number; command: LoadCommand };
export type ChildMessage = { id: number; result?: HttpLoadResult | CheckoutLoadResult; error?: string };
