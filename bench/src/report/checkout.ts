import type { CheckoutResult } from '../scenarios/checkout.js';
import { cell } from './svg.js';

/** Redis per order, the server-side latencies and the customers-vs-throughput curve (a Mermaid chart). */
export function checkoutCosts(checkout: CheckoutResult): string[] {
  const { redis, serverLatency: latency, curve } = checkout;
  const commands = Object.entries(redis.commands).map(([name, n]) => `${name} ${n}`).join(', ');
  const lines = [
    `**Redis.** The same counted orders: **${cell(redis.roundTrips)} round trips per order** (target ≤ 8); commands per order: ${commands || 'none'} (${redis.method}).`,
    '',
    `**Latency, server-side** (${latency.orders} PAID orders of the load above, ${checkout.customers} customers; ${latency.method}):`,
    '',
    '| step | p50 ms | p90 ms | p99 ms | target |',
    '|---|---:|---:|---:|---|',
    `| placeOrder → AWAITING_PAYMENT | ${cell(latency.placedToAwaitingMs.p50)} | ${cell(latency.placedToAwaitingMs.p90)} | ${cell(latency.placedToAwaitingMs.p99)} | p50 ≤ 40, p99 ≤ 250 |`,
    `| payOrder accepted → PAID | ${cell(latency.paymentToPaidMs.p50)} | ${cell(latency.paymentToPaidMs.p90)} | ${cell(latency.paymentToPaidMs.p99)} | p50 ≤ 80, p99 ≤ 250 |`,
    '',
  ];
  if (curve.length === 0) return lines;
  const half = checkout.ceilingOrdersPerSecond === null ? null : round1(checkout.ceilingOrdersPerSecond / 2);
  const top = Math.max(...curve.map((p) => p.paidPerSecond), half ?? 0);
  return [
    ...lines,
    `**Customers vs throughput** (ordinary products only, ${curve.length} runs of a few seconds each):`,
    '',
    '| customers | orders placed | PAID | PAID/s |',
    '|---:|---:|---:|---:|',
    ...curve.map((p) => `| ${p.customers} | ${p.placed} | ${p.paid} | ${cell(p.paidPerSecond)} |`),
    '',
    '```mermaid',
    'xychart-beta',
    '  title "Checkout: PAID orders per second by concurrent customers"',
    `  x-axis "customers" [${curve.map((p) => p.customers).join(', ')}]`,
    `  y-axis "PAID/s" 0 --> ${Math.ceil(top * 1.1)}`,
    `  line [${curve.map((p) => p.paidPerSecond).join(', ')}]`,
    ...(half === null ? [] : [`  line [${curve.map(() => half).join(', ')}]`]),
    '```',
    '',
    ...(half === null ? [] : [`The flat line is half the database-bound ceiling (${half} orders/s), the target.`, '']),
  ];
}

const round1 = (value: number) => Math.round(value * 10) / 10;
