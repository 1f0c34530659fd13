import { setTimeout as sleep } from 'node:timers/promises';
import { inRotation, jobAttempts, okCalls, queueConsumers } from './metrics.js';
import type { Platform } from './platform.js';
import { READMISSION_TIMEOUT_MS, SHARE_WINDOW_MS, subgraphs } from './settings.js';

/** How the restarted processes were taken back: the figures the traffic-back checks rest on. */
export interface Readmission {
  /** By subgraph: how long after the restarted replicas were ready every gateway had its restarted replica in rotation. */
  backInRotationAfterMs: Record<string, number>;
  /** Successful calls to each replica at the start and at the end of the share window. */
  callsBefore: Map<string, number>;
  callsAfter: Map<string, number>;
  windowStartedAt: number;
  /** Job attempts of workers-1 at the end of the share window. */
  workerJobsAtEnd: number;
  /** BullMQ consumers of each work queue at the end of the share window, both workers processes' together. */
  queueConsumersAtEnd: Record<string, number>;
}

/**
 * Waits for the gateways to put each restarted replica back in rotation (every gateway: the
 * restarted one at once, the other when its ejection of the replica ends), then counts the calls
 * each replica takes over the share window.
 */
export async function watchReadmission(platform: Platform, backAt: number, redisUrl: string, queuePrefix: string): Promise<Readmission> {
  const gatewayUrls = platform.gateways.map((gateway) => gateway.url);
  const restartedReplicas = subgraphs.map((subgraph) => platform.replicaUrls[subgraph.name]![0]!);
  const backInRotationAfterMs: Record<string, number> = {};
  while (Date.now() - backAt < READMISSION_TIMEOUT_MS && Object.keys(backInRotationAfterMs).length < subgraphs.length) {
    const rotation = await inRotation(gatewayUrls);
    subgraphs.forEach((subgraph, i) => {
      if (!(subgraph.name in backInRotationAfterMs) && rotation.get(restartedReplicas[i]!) === platform.gateways.length) backInRotationAfterMs[subgraph.name] = Date.now() - backAt;
    });
    await sleep(500);
  }
  const callsBefore = await okCalls(gatewayUrls);
  const windowStartedAt = Date.now();
  await sleep(SHARE_WINDOW_MS);
  const callsAfter = await okCalls(gatewayUrls);
  const workerJobsAtEnd = await jobAttempts(platform.byName('workers-1').url);
  const queueConsumersAtEnd = await queueConsumers(redisUrl, queuePrefix);
  return { backInRotationAfterMs, callsBefore, callsAfter, windowStartedAt, workerJobsAtEnd, queueConsumersAtEnd };
}
