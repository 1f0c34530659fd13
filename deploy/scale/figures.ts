import { writeFileSync } from 'node:fs';
import { ordersIn, paymentsIn } from './final-state.js';
import type { Outcomes } from './invariants/enough.js';
import type { Observed } from './observed.js';

/** The value below which a fraction `q` of `values` lies (NaN when there are none). */
const quantile = (values: number[], q: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** The load's measures: how long it ran, the latency of its successful requests in each phase, and placeOrder → PAID. */
export interface Measures {
  seconds: number;
  phases: Record<string, number[]>;
  paid: number[];
}

/** Measures the load from what the run observed. */
export function measureLoad({ records, checkouts, loadStartedAt, loadEndedAt, outage }: Observed): Measures {
  const latency = (from: number, to: number) => records.filter((r) => r.ok && r.startedAt >= from && r.startedAt < to).map((r) => r.endedAt - r.startedAt);
  return {
    seconds: (loadEndedAt - loadStartedAt) / 1000,
    phases: {
      'before the kill': latency(loadStartedAt, outage.killedAt),
      'while down': latency(outage.killedAt, outage.backAt),
      'after the restart': latency(outage.backAt, loadEndedAt),
    },
    paid: checkouts.filter((c) => c.paidAfterMs !== undefined).map((c) => c.paidAfterMs!),
  };
}

/** Prints the load, the failed requests (each with why it was excused, or not), the checkouts and what they came to. */
export function printFigures(observed: Observed, { seconds, phases, paid }: Measures): void {
  const { records, requests, platform, outage, checkouts, state } = observed;
  console.log(`\nload: ${records.length} requests in ${seconds.toFixed(0)} s (${(records.length / seconds).toFixed(0)} req/s), ${records.filter((r) => r.mutation).length} mutations`);
  for (const [phase, values] of Object.entries(phases)) {
    console.log(`  ${phase.padEnd(18)} ${String(values.length).padStart(6)} ok, p50 ${quantile(values, 0.5)} ms, p99 ${quantile(values, 0.99)} ms`);
  }
  console.log(`failed requests: ${requests.failed.length} (${requests.excused.length} a killed process had in flight, ${requests.violations.length} others)`);
  const byError = new Map<string, number>();
  for (const r of requests.failed) {
    const when = `sent ${((r.startedAt - outage.killedAt) / 1000).toFixed(1)} s after the kill, answered in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`;
    const what = `${requests.excuse(r) ?? `NOT EXCUSED (${when})`}: ${r.operation} via ${platform.gatewayName(r.gateway)}: ${r.error}`;
    byError.set(what, (byError.get(what) ?? 0) + 1);
  }
  for (const [what, n] of byError) console.log(`  ${n} × ${what}`);

  const byIntent = (intent: string) => checkouts.filter((c) => c.intent === intent).length;
  console.log(
    `checkouts: ${checkouts.length} started (${byIntent('pay')} to pay, ${byIntent('cancel-paid')} to pay and cancel, ${byIntent('cancel-unpaid')} to cancel unpaid, ${byIntent('abandon')} to abandon); ` +
      `orders ${['PAID', 'CANCELLED', 'EXPIRED', 'REJECTED', 'AWAITING_PAYMENT'].map((status) => `${ordersIn(state, status).length} ${status}`).join(', ')}`,
  );
  console.log(
    `payments: ${['SUCCEEDED', 'REFUNDED', 'FAILED'].map((status) => `${paymentsIn(state, status).length} ${status}`).join(', ')}; ` +
      `${state.charges.length} charges (${state.charges.filter((c) => c.refunded).length} refunded), ${outage.processingAtKill.length} PROCESSING at the kill; ` +
      `${checkouts.reduce((sum, c) => sum + c.failedPayments, 0)} paid again after a FAILED payment`,
  );
  console.log(`placeOrder → PAID p50 ${quantile(paid, 0.5)} ms, p99 ${quantile(paid, 0.99)} ms`);
  console.log(`drained in ${(observed.drainMs / 1000).toFixed(1)} s after the load stopped; at most ${observed.connections.peak} Postgres connections`);
}

/** Prints the figures as one JSON line, and writes them to the file SCALE_REPORT names when it is set. */
export function reportFigures(observed: Observed, { seconds, phases, paid }: Measures, outcomes: Outcomes, late: number): void {
  const { records, requests, outage, state } = observed;
  const report = {
    requests: records.length,
    requestsPerSecond: Math.round(records.length / seconds),
    failed: requests.failed.length,
    failedInFlightAtKill: requests.excused.length,
    failedOtherwise: requests.violations.length,
    latencyMs: Object.fromEntries(Object.entries(phases).map(([phase, values]) => [phase, { p50: quantile(values, 0.5), p99: quantile(values, 0.99) }])),
    checkouts: observed.checkouts.length,
    paid: outcomes.paid,
    cancelledUnpaid: outcomes.cancelledUnpaid,
    refunded: outcomes.refunded,
    expired: outcomes.expired,
    expiredBeforeTheCustomerActed: late,
    rejected: ordersIn(state, 'REJECTED').length,
    charges: state.charges.length,
    paymentsProcessingAtKill: outage.processingAtKill.length,
    placeToPaidMs: { p50: quantile(paid, 0.5), p99: quantile(paid, 0.99) },
    providerRestartToReadyMs: outage.providerBackAt - outage.deadAt,
    restartToReadyMs: outage.backAt - outage.restartedAt,
    backInRotationAfterMs: observed.readmission.backInRotationAfterMs,
    peakPostgresConnections: observed.connections.peak,
    drainMs: observed.drainMs,
  };
  console.log(`\nfigures: ${JSON.stringify(report)}`);
  if (process.env.SCALE_REPORT) writeFileSync(process.env.SCALE_REPORT, `${JSON.stringify(report, null, 2)}\n`);
}
