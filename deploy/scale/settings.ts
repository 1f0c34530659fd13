/** The scale test's settings: what the traffic must show, how long each phase may take, the shop's size. */

/** How long the traffic may take to show every kind of checkout and a charge in flight. */
export const KILL_TIMEOUT_MS = 120_000;
/** What the traffic must have done before the kill: the figures the checks rest on. */
export const BEFORE_KILL = { paid: 10, cancelledUnpaid: 2, cancelledPaid: 2 };
/** How long the killed replicas stay down (the provider excepted: it restarts at once). */
export const DOWN_MS = 10_000;
/** How long the gateways may take to put a restarted replica back in rotation: their longest ejection (SUBGRAPH_EJECT_MAX_MS, 60 s) and a health check. */
export const READMISSION_TIMEOUT_MS = 90_000;
/** The window in which each restarted replica must take its share. */
export const SHARE_WINDOW_MS = 10_000;
/**
 * How long an unpaid order keeps its stock: short enough that abandoned orders expire during
 * the run, long enough that customers acting through the outage mostly act in time. One who
 * does not finds the order EXPIRED (and any payment of it refunded), which the checks accept.
 */
export const RESERVATION_TTL_MS = 60_000;
/** How long the load goes on, after the share window, for abandoned orders to expire. */
export const EXPIRY_TIMEOUT_MS = 90_000;
/** How long everything the customers started may take to settle once the load stops. */
export const DRAIN_TIMEOUT_MS = 90_000;
/** The least the whole run must show of each outcome, so that no check holds on an empty set. */
export const AT_LEAST = { checkouts: 40, paid: 20, cancelledUnpaid: 3, refunded: 3, expired: 3, chargesInFlightAtKill: 1 };
/** Customers placing orders. */
export const SHOPPERS = 6;
/** Visitors only reading. */
export const BROWSERS = 6;
/** The stock of the product many want: less than they order, so that it sells out. */
export const SCARCE_STOCK = 25;
/** Pools of up to 10 connections per subgraph per process: 8 subgraph replicas, 2 workers with 3 each, headroom. */
export const MAX_CONNECTIONS = 300;

/** The subgraphs, each run as two replicas, and the variable that gives each its port. */
export const subgraphs = [
  { name: 'products', portEnv: 'PRODUCTS_PORT' },
  { name: 'users', portEnv: 'USERS_PORT' },
  { name: 'orders', portEnv: 'ORDERS_PORT' },
  { name: 'payments', portEnv: 'PAYMENTS_PORT' },
] as const;

/** The administrator the platform is given at start, who stocks the shop. */
export const admin = { email: 'admin@scale.shopgraph.local', password: 'scale-admin-password' };
