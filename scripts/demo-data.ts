import { demoOrders, priceDemoOrders } from '@shopgraph/orders/seed';
import { demoProducts } from '@shopgraph/products/seed';

/**
 * The demo shop `npm run setup` seeds into an empty platform outside production: a catalog,
 * three customers, orders in every status and payments in every status. Each subgraph owns its
 * part (subgraphs/<name>/src/demo-data.ts) and names the others' rows by key; this module only
 * puts the parts together, for setup and the end-to-end tests.
 */

export { demoOrders, type DemoOrder } from '@shopgraph/orders/seed';
export { demoPayments, type DemoPayment } from '@shopgraph/payments/seed';
export { demoProducts, type DemoProduct } from '@shopgraph/products/seed';
export { demoUsers, type DemoUser } from '@shopgraph/users/seed';

/** The demo orders as payments records them: each for what its lines cost in the demo catalog. */
export const demoOrdersToPay = priceDemoOrders(demoOrders, demoProducts);
