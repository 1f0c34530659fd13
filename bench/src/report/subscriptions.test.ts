import { describe, expect, it } from 'vitest';
import type { SubscriptionsResult } from '../scenarios/subscriptions.js';
import { headlineRatios } from './headline.js';
import type { BenchReport } from './report.js';
import { subscriptionsSection } from './subscriptions.js';

const result = (change: Partial<SubscriptionsResult> = {}): SubscriptionsResult => ({
  open: 5_000,
  openOnGateway: 5_000,
  connections: 50,
  openSeconds: 1.65,
  memory: { rssBeforeMiB: 150, rssAfterMiB: 200, heapUsedBeforeMiB: 60, heapUsedAfterMiB: 101, rssBytesPerSubscription: 10_486, heapBytesPerSubscription: 8_598 },
  checkout: { customers: 16, seconds: 20, placed: 400, paid: 398, rejected: 2 },
  gatewayPushLatencyMs: { p50: 39.2, p99: 100.4, samples: 2_400 },
  paidPushLatencyMs: { p50: 139, p90: 180, p99: 260, mean: 150 },
  eventsIn: 2_500,
  pushesOut: 9_000,
  missing: [],
  ...change,
});

/** The scenarios of a run in which only the subscriptions scenario ran (or none did). */
const scenarios = (subscriptions: SubscriptionsResult | null) =>
  ({ catalog: null, deep: null, checkout: null, balancing: null, pipeline: null, subscriptions, capacity: { missing: [] } }) as unknown as BenchReport['scenarios'];

const byKey = (ratios: ReturnType<typeof headlineRatios>) => Object.fromEntries(ratios.map((r) => [r.key, r]));

describe('subscriptions in the bench report', () => {
  it('leads with the open subscriptions the gateway counted against those opened, heap per subscription and commit → push', () => {
    const ratios = byKey(headlineRatios(scenarios(result()), []));
    expect(ratios.subscriptionsOpen).toMatchObject({ value: 5_000, target: '≥ 5000', met: true });
    expect(ratios.subscriptionsHeapBytes).toMatchObject({ value: 8_598, target: null });
    expect(ratios.subscriptionsPushP50).toMatchObject({ value: 39.2 });
    expect(ratios.subscriptionsPushP99).toMatchObject({ value: 100.4 });
    expect(ratios.subscriptionsPushP99!.title).toContain('16-customer checkout');
    // A gateway that holds fewer than were opened misses the target; a quick run is measured against its own size.
    expect(byKey(headlineRatios(scenarios(result({ openOnGateway: 4_990 })), [])).subscriptionsOpen!.met).toBe(false);
    expect(byKey(headlineRatios(scenarios(result({ open: 500, openOnGateway: 500 })), [])).subscriptionsOpen).toMatchObject({ target: '≥ 500', met: true });
  });

  it('says why a figure is missing: no push measured, or the scenario did not run', () => {
    const noPush = byKey(headlineRatios(scenarios(result({ gatewayPushLatencyMs: { p50: 0, p99: 0, samples: 0 } })), []));
    expect(noPush.subscriptionsPushP50).toMatchObject({ value: null, reason: 'no push with an event was measured' });
    const none = byKey(headlineRatios(scenarios(null), []));
    for (const key of ['subscriptionsOpen', 'subscriptionsHeapBytes', 'subscriptionsPushP50', 'subscriptionsPushP99']) {
      expect(none[key]).toMatchObject({ value: null, met: null, reason: 'the subscriptions scenario did not run' });
    }
  });

  it('renders its section with the figures', () => {
    const markdown = subscriptionsSection(result()).join('\n');
    expect(markdown).toContain('## 5c. Subscriptions');
    expect(markdown).toContain('**5,000 open subscriptions**');
    expect(markdown).toMatch(/heap per open subscription[^|]*\| 8,598 B \|/);
    expect(markdown).toMatch(/commit → push[^|]*2,400 pushes[^|]*\| 39\.2 \/ 100 \|/);
    expect(markdown).toContain('16 customers check out for 20 s');
  });
});
