import type { Logger } from '@shopgraph/common';
import { queueNames, type QueueName, type QueueSet } from '@shopgraph/queues';
import { Gauge, type Registry } from 'prom-client';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed', 'paused', 'waiting-children'] as const;
const COLLECT_TIMEOUT_MS = 2000;

type Counts = (readonly [QueueName, Record<string, number>])[];

/**
 * `shopgraph_queue_jobs{queue,state}` and `shopgraph_queue_depth{queue}`, read from Redis on each
 * scrape. When Redis does not answer in time the last values stay and a warning is logged:
 * a scrape never hangs on a Redis restart.
 */
export function registerQueueMetrics(registry: Registry, queues: QueueSet, logger: Logger): void {
  async function fetchCounts(): Promise<Counts | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.all(queueNames.map(async (name) => [name, await queues[name].getJobCounts(...STATES)] as const)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      logger.warn({ err: error }, 'could not read queue counts for /metrics');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
  // The registry collects every metric at once; both gauges share one round of counts per scrape.
  let inFlight: Promise<Counts | undefined> | undefined;
  const readCounts = () =>
    (inFlight ??= fetchCounts().finally(() => {
      inFlight = undefined;
    }));

  new Gauge({
    name: 'shopgraph_queue_jobs',
    help: 'Jobs by queue and state; failed counts the failures kept for inspection (7 days)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const [queue, byState] of (await readCounts()) ?? []) {
        for (const state of STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'shopgraph_queue_depth',
    help: 'Jobs ready to run that no worker has started yet (waiting + prioritized)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const [queue, byState] of (await readCounts()) ?? []) {
        this.set({ queue }, (byState.waiting ?? 0) + (byState.prioritized ?? 0));
      }
    },
  });
}
