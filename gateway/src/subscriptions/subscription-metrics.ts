import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What subscriptions report on `/metrics`. */
export function createSubscriptionMetrics(registry: Registry) {
  return {
    open: new Gauge({ name: 'shopgraph_subscriptions_open', help: 'Subscriptions open on this gateway', labelNames: ['field', 'transport'], registers: [registry] }),
    refused: new Counter({
      name: 'shopgraph_subscriptions_refused_total',
      help: 'Subscriptions refused or ended by the gateway, by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
    eventsIn: new Counter({ name: 'shopgraph_subscription_events_total', help: 'Entity events received from Redis', labelNames: ['typename'], registers: [registry] }),
    stale: new Counter({
      name: 'shopgraph_subscription_events_stale_total',
      help: 'Entity events dropped by a subscription because it had seen a later version',
      registers: [registry],
    }),
    pushes: new Counter({ name: 'shopgraph_subscription_pushes_total', help: 'Results pushed to subscribers', labelNames: ['field'], registers: [registry] }),
    pushLatency: new Histogram({
      name: 'shopgraph_subscription_push_latency_seconds',
      help: 'From the event being published (after its commit) to the result being handed to the client',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}

export type SubscriptionMetrics = ReturnType<typeof createSubscriptionMetrics>;
