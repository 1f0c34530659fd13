import type { Observed } from '../observed.js';
import { subgraphs } from '../settings.js';
import { check } from './check.js';

/**
 * Traffic back on the restarted replicas: each subgraph's restarted replica is readmitted by
 * the gateways and takes its share again, the restarted gateway serves, the restarted workers
 * process works every queue again. It runs jobs when BullMQ hands it some: the outbox relay's
 * leader runs what it has slots for itself (direct dispatch, docs/checkout.md), and after the
 * outage the leader is the process that was not killed, so under a load its slots absorb, the
 * restarted one is back as a consumer of every queue, with no job of its own.
 */
export function checkTrafficBack({ platform, readmission, outage, sent }: Observed): void {
  const { callsBefore, callsAfter, backInRotationAfterMs, windowStartedAt, workerJobsAtEnd, queueConsumersAtEnd } = readmission;
  for (const subgraph of subgraphs) {
    const [restarted, other] = platform.replicaUrls[subgraph.name]!;
    const calls = (url: string) => (callsAfter.get(url) ?? 0) - (callsBefore.get(url) ?? 0);
    const share = calls(restarted!) / Math.max(1, calls(restarted!) + calls(other!));
    const back = backInRotationAfterMs[subgraph.name];
    check(
      back !== undefined && share >= 0.3,
      `${subgraph.name}-1 takes traffic again: in rotation on every gateway ${back === undefined ? 'never' : `${(back / 1000).toFixed(0)} s after it was ready`}, then ${(share * 100).toFixed(0)}% of ${subgraph.name} calls`,
    );
  }
  const sentAfter = sent.filter((s) => s.at >= windowStartedAt);
  const gatewayShare = sentAfter.filter((s) => s.gateway === platform.byName('gateway-1').url).length / Math.max(1, sentAfter.length);
  check(gatewayShare >= 0.25, `gateway-1 serves again: ${(gatewayShare * 100).toFixed(0)}% of requests after its restart`);
  const consumers = Object.entries(queueConsumersAtEnd);
  const bothConsume = consumers.length > 0 && consumers.every(([, count]) => count >= 2);
  check(
    workerJobsAtEnd > outage.workerJobsAtBack || bothConsume,
    `workers-1 works again: ${workerJobsAtEnd - outage.workerJobsAtBack} job attempts after its restart; BullMQ consumers per queue (both processes) ${consumers.map(([queue, count]) => `${queue} ${count}`).join(', ')}`,
  );
}
