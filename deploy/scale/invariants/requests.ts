import type { FinalState } from '../final-state.js';
import type { RequestRecord } from '../load.js';
import type { Outage } from '../outage.js';
import type { Platform } from '../platform.js';
import { check } from './check.js';

/** The failed requests, each excused or not. */
export interface FailedRequests {
  failed: RequestRecord[];
  excused: RequestRecord[];
  violations: RequestRecord[];
  /** Why a failed request may have failed, or undefined when nothing excuses it. */
  excuse(r: RequestRecord): string | undefined;
}

/** Sorts the failed requests into those a process that died had in flight (or an order that had expired refused) and the others. */
export function classifyFailedRequests(records: RequestRecord[], outage: Outage, platform: Platform, state: FinalState): FailedRequests {
  const { killedAt, deadAt, providerBackAt } = outage;
  const expiredOrders = new Set(state.orders.filter((o) => o.status === 'EXPIRED').map((o) => o.id));
  const inFlightAtKill = (r: RequestRecord) => r.startedAt < deadAt && r.endedAt >= killedAt;
  // Why a failed request may have failed: a process it depended on died with it in flight.
  // A query through the surviving gateway is retried on the other replica (upstream.ts), so
  // only mutations (sent exactly once) may fail there; payOrder also fails while the provider
  // is away, since it exchanges the card for a token before anything is written.
  const excuse = (r: RequestRecord): string | undefined => {
    if (r.error === 'CONFLICT' && r.orderId && expiredOrders.has(r.orderId)) return 'refused: the order had EXPIRED before the customer acted';
    if (platform.gatewayName(r.gateway) === 'gateway-1' && inFlightAtKill(r)) return 'in flight on gateway-1 when it died';
    if (r.mutation && inFlightAtKill(r)) return 'a mutation in flight on a killed subgraph replica';
    if (r.operation === 'PayOrder' && r.startedAt < providerBackAt && r.endedAt >= killedAt) return 'payOrder while the payment provider was down';
    return undefined;
  };
  const failed = records.filter((r) => !r.ok);
  return {
    failed,
    excused: failed.filter((r) => excuse(r) !== undefined),
    violations: failed.filter((r) => excuse(r) === undefined),
    excuse,
  };
}

/** No request failed but those the outage excuses. */
export function checkFailedRequests({ violations }: FailedRequests): void {
  check(violations.length === 0, `no request failed except those a killed process had in flight (${violations.length} did)`);
}
