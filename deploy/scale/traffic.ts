import { browser, shopper, type CheckoutRecord, type GatewayBalancer } from './load.js';
import { SHOPPERS } from './settings.js';
import type { Shop } from './shop.js';

/** The steady load of the run: shoppers checking out, browsers reading. */
export interface Traffic {
  /** Every checkout the shoppers started, as they saw it. */
  checkouts: CheckoutRecord[];
  startedAt: number;
  /** Lets every customer finish what they are doing, then resolves with when the last one did. */
  stop(): Promise<number>;
}

/** Starts the load, which runs until `stop`: the shop's first customers shop, the others browse. */
export function startTraffic(balancer: GatewayBalancer, shop: Shop): Traffic {
  let running = true;
  const checkouts: CheckoutRecord[] = [];
  const startedAt = Date.now();
  const load = Promise.all([
    ...shop.customers.slice(0, SHOPPERS).map((customer, n) => shopper(balancer, customer, shop.pickItems, checkouts, () => running, `shopper${n}`, n)),
    ...shop.customers.slice(SHOPPERS).map((customer) => browser(balancer, customer, [shop.scarce, ...shop.plenty], () => running)),
  ]);
  return {
    checkouts,
    startedAt,
    async stop() {
      running = false;
      await load;
      return Date.now();
    },
  };
}
