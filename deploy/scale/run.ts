import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { freePort, testRedisUrl } from '@shopgraph/testing';
import pg from 'pg';
import checkDependencies from '../../packages/testing/src/global-setup.js';
import { cleanUpWhenDone } from './clean-up.js';
import { PeakConnections } from './connections.js';
import { measureLoad, printFigures, reportFigures } from './figures.js';
import { readFinalState } from './final-state.js';
import { failedChecks } from './invariants/check.js';
import { checkInvariants } from './invariants/index.js';
import { classifyFailedRequests } from './invariants/requests.js';
import { GatewayBalancer } from './load.js';
import type { Observed } from './observed.js';
import { killWhileChargeInFlight } from './outage.js';
import { planPlatform, startPlatform } from './platform.js';
import { startPrivatePostgres } from './postgres.js';
import { watchReadmission } from './readmission.js';
import { MAX_CONNECTIONS } from './settings.js';
import { waitForExpiredOrders, waitUntilSettled } from './settling.js';
import { openShop } from './shop.js';
import { startTraffic } from './traffic.js';

/**
 * `npm run test:scale`: the platform as a Kubernetes deployment runs it, on one machine — two
 * gateways, two replicas of each subgraph, two workers processes and the payment provider on
 * distinct ports — under steady reads and checkouts in which customers pay, cancel unpaid
 * orders, cancel paid ones (refunds) and leave others to expire. Once that traffic is flowing,
 * at a moment when a payment is seen PROCESSING (a charge in flight), one replica of each kind
 * and the provider are SIGKILLed, then started again (the provider at once, as a kubelet
 * restarts a crashed container: it has no second replica). What must hold: no request fails
 * except those a dead process had in flight, no order is lost or stuck, nothing is charged twice
 * (refunded charges counted), nothing is oversold, every customer's intent ends as it should,
 * and traffic returns to the restarted processes. Prints the figures; exits 1 when anything
 * does not hold.
 */

/** Runs the scale test: the platform, its shop and traffic, the outage, the settling, then the figures and the checks. */
async function main(): Promise<void> {
  await checkDependencies();
  const logDir = mkdtempSync(`${tmpdir()}/shopgraph-scale-`);
  const database = startPrivatePostgres(await freePort(), MAX_CONNECTIONS);
  const queuePrefix = `{scale-${randomBytes(4).toString('hex')}}`;
  const platform = await planPlatform(database.url, logDir, queuePrefix);
  const balancer = new GatewayBalancer(platform.gateways.map((gateway) => gateway.url));
  const sql = new pg.Client({ connectionString: database.url });
  const connections = new PeakConnections(sql);
  const cleanUp = cleanUpWhenDone({ balancer, connections, sql, platform, database, redisUrl: testRedisUrl, queuePrefix });
  try {
    console.log(`scale test: ${platform.replicas.length} processes, logs in ${logDir}`);
    await startPlatform(platform);
    await sql.connect();
    await connections.start();
    balancer.startProbing();

    const shop = await openShop(balancer);
    const traffic = startTraffic(balancer, shop);
    const outage = await killWhileChargeInFlight(platform, sql, traffic);
    const readmission = await watchReadmission(platform, outage.backAt, testRedisUrl, queuePrefix);
    await waitForExpiredOrders(sql);
    const loadEndedAt = await traffic.stop();
    const { unsettled, drainMs } = await waitUntilSettled(sql);
    balancer.stopProbing();

    const state = await readFinalState(sql, platform);
    const observed: Observed = {
      platform,
      shop,
      records: balancer.records,
      sent: balancer.sent,
      checkouts: traffic.checkouts,
      loadStartedAt: traffic.startedAt,
      loadEndedAt,
      outage,
      readmission,
      unsettled,
      drainMs,
      state,
      requests: classifyFailedRequests(balancer.records, outage, platform, state),
      connections,
    };
    const measures = measureLoad(observed);
    printFigures(observed, measures);
    console.log('');
    const { outcomes, late } = await checkInvariants(observed, sql, testRedisUrl, queuePrefix);
    reportFigures(observed, measures, outcomes, late);
  } finally {
    await cleanUp();
  }
  // The processes' logs are kept only when they may explain a failure.
  const failures = failedChecks();
  if (failures === 0) rmSync(logDir, { recursive: true, force: true });
  console.log(failures === 0 ? '\nscale test passed' : `\nscale test FAILED: ${failures} check(s); the processes' logs are in ${logDir}`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
