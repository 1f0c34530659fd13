import type { SubscriptionsResult } from '../scenarios/subscriptions.js';
import { cell, formatNumber } from './svg.js';

/** Section 5c: what open subscriptions cost a gateway, and how long a commit takes to reach the client (issue 17). */
export function subscriptionsSection(result: SubscriptionsResult): string[] {
  const { memory, checkout, gatewayPushLatencyMs: push, paidPushLatencyMs: paid } = result;
  return [
    '## 5c. Subscriptions (live order status)',
    '',
    `One gateway of its own holds **${formatNumber(result.open)} open subscriptions** (anonymous \`productStock\` over ${result.connections} graphql-ws connections, each answered with its first push) in **${cell(result.openSeconds)} s**; then ${checkout.customers} customers check out for ${checkout.seconds} s, each watching its order by \`orderUpdated\` instead of polling it (${checkout.placed} placed, ${checkout.paid} PAID, ${checkout.rejected} refused), while the ${formatNumber(result.open)} watch the products they buy.`,
    '',
    '| figure | value |',
    '|---|---:|',
    `| open by the gateway's own gauge (\`shopgraph_subscriptions_open\`) | ${formatNumber(result.openOnGateway)} |`,
    `| heap per open subscription (heap used after − before, / open) | ${formatNumber(memory.heapBytesPerSubscription)} B |`,
    `| RSS per open subscription | ${formatNumber(memory.rssBytesPerSubscription)} B |`,
    `| heap used before → after opening, MiB | ${cell(memory.heapUsedBeforeMiB)} → ${cell(memory.heapUsedAfterMiB)} |`,
    `| commit → push handed to the connection, p50 / p99 ms (the gateway's histogram, ${formatNumber(push.samples)} pushes with an event) | ${cell(push.p50)} / ${cell(push.p99)} |`,
    `| payOrder answered → PAID push received, p50 / p99 ms (charge, commit, event, read, push) | ${cell(paid.p50)} / ${cell(paid.p99)} |`,
    `| entity events in / results pushed during the checkout | ${formatNumber(result.eventsIn)} / ${formatNumber(result.pushesOut)} |`,
    '',
  ];
}
