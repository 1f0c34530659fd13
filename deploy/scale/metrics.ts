import { workQueueNames } from '@shopgraph/queues';
import { Redis } from 'ioredis';
/** A series of the gateways' /metrics, summed over the gateways, by replica URL. */
async function byReplica(gateways: string[], metric: string, where: (labels: Record<string, string>) => boolean = () => true) {
  const values = new Map<string, number>();
  for (const gateway of gateways) {
    // On the gateway's operator listener: GATEWAY_PORT + 1000 unless set (gateway/src/env.ts).
    const operator = new URL(gateway);
    operator.port = String(Number(operator.port) + 1000);
    const text = await (await fetch(`${operator.origin}/metrics`)).text();
    for (const match of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\d+)`, 'gm'))) {
      const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      if (where(labels)) values.set(labels.replica!, (values.get(labels.replica!) ?? 0) + Number(match[2]));
    }
  }
  return values;
}

/** Successful calls to each replica, from every gateway. */
export const okCalls = (gateways: string[]) => byReplica(gateways, 'shopgraph_gateway_subgraph_requests_total', (labels) => labels.outcome === 'ok');
/** How many gateways have each replica in rotation. */
export const inRotation = (gateways: string[]) => byReplica(gateways, 'shopgraph_gateway_subgraph_replica_up');

/** Job attempts a workers process has made, from its dashboard's /metrics. */
export async function jobAttempts(workers: string): Promise<number> {
  const text = await (await fetch(`${workers}/metrics`)).text();
  return [...text.matchAll(/^shopgraph_job_attempts_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/**
 * BullMQ consumers connected per work queue: each workers process holds one blocking connection
 * per queue it works, named by BullMQ after the queue (`<prefix>:<base64 of its name>`).
 */
export async function queueConsumers(redisUrl: string, queuePrefix: string): Promise<Record<string, number>> {
  const redis = new Redis(redisUrl);
  try {
    const names = String(await redis.call('client', 'list'))
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '');
    return Object.fromEntries(
      workQueueNames.map((queue) => [queue, names.filter((name) => name === `${queuePrefix}:${Buffer.from(queue).toString('base64')}`).length]),
    );
  } finally {
    redis.disconnect();
  }
}
