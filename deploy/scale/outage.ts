import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { jobAttempts } from './metrics.js';
import type { Platform } from './platform.js';
import { BEFORE_KILL, DOWN_MS, KILL_TIMEOUT_MS } from './settings.js';
import type { Traffic } from './traffic.js';

/** When the outage happened, as the checks and figures need it. */
export interface Outage {
  /** The payments PROCESSING (a charge in flight) when the kill came. */
  processingAtKill: string[];
  /** The kill takes effect between `killedAt` and `deadAt`: what was sent before the last death may have been lost with it. */
  killedAt: number;
  deadAt: number;
  /** When the restarted payment provider was ready. */
  providerBackAt: number;
  /** When the other victims were started again, and when they were all ready. */
  restartedAt: number;
  backAt: number;
  /** Job attempts of workers-1 once it was back. */
  workerJobsAtBack: number;
}

/**
 * Waits until the traffic has paid, cancelled and refunded, for a moment a charge is in flight
 * (a payment PROCESSING, its charge job queued or running against the provider); then SIGKILLs
 * the victims and the payment provider, starts the provider again at once (a kubelet restarts
 * a crashed container: it has no second replica) and the others after DOWN_MS.
 */
export async function killWhileChargeInFlight(platform: Platform, sql: pg.Client, traffic: Traffic): Promise<Outage> {
  const { checkouts } = traffic;
  const { victims, provider } = platform;
  const seen = () => ({
    paid: checkouts.filter((c) => c.intent === 'pay' && c.paidAfterMs !== undefined).length,
    cancelledUnpaid: checkouts.filter((c) => c.intent === 'cancel-unpaid' && c.status === 'CANCELLED').length,
    cancelledPaid: checkouts.filter((c) => c.intent === 'cancel-paid' && c.status === 'CANCELLED').length,
  });
  const killDeadline = Date.now() + KILL_TIMEOUT_MS;
  let processingAtKill: string[] = [];
  for (;;) {
    const soFar = seen();
    if (soFar.paid >= BEFORE_KILL.paid && soFar.cancelledUnpaid >= BEFORE_KILL.cancelledUnpaid && soFar.cancelledPaid >= BEFORE_KILL.cancelledPaid) {
      processingAtKill = (await sql.query<{ id: string }>(`select id from payments.payments where status = 'PROCESSING'`)).rows.map((row) => row.id);
      if (processingAtKill.length > 0) break;
    }
    if (Date.now() > killDeadline) {
      throw new Error(`The traffic did not pay, cancel and refund with a charge in flight within ${KILL_TIMEOUT_MS / 1000} s: ${JSON.stringify(soFar)}`);
    }
    await sleep(soFar.paid >= BEFORE_KILL.paid ? 10 : 250);
  }
  const killedAt = Date.now();
  await Promise.all([...victims, provider].map((victim) => victim.kill()));
  const deadAt = Date.now();
  console.log(
    `killed ${[...victims, provider].map((v) => v.spec.name).join(', ')} (SIGKILL) at +${((killedAt - traffic.startedAt) / 1000).toFixed(1)} s, ` +
      `${processingAtKill.length} payment(s) PROCESSING`,
  );
  provider.start();
  await provider.ready(120_000);
  const providerBackAt = Date.now();
  console.log(`payment-provider restarted at once, ready ${((providerBackAt - deadAt) / 1000).toFixed(1)} s after the kill`);
  await sleep(Math.max(0, DOWN_MS - (Date.now() - deadAt)));
  const restartedAt = Date.now();
  for (const victim of victims) victim.start();
  await Promise.all(victims.map((victim) => victim.ready(120_000)));
  const backAt = Date.now();
  const workerJobsAtBack = await jobAttempts(platform.byName('workers-1').url);
  console.log(`restarted the others; all ready ${((backAt - restartedAt) / 1000).toFixed(1)} s later`);
  return { processingAtKill, killedAt, deadAt, providerBackAt, restartedAt, backAt, workerJobsAtBack };
}
