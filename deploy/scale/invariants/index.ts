import type pg from 'pg';
import type { Observed } from '../observed.js';
import { checkTheRunDidEnough, type Outcomes } from './enough.js';
import { checkIntentsFulfilled } from './intents.js';
import { checkInterruptedWorkFinished } from './interrupted-work.js';
import { checkProviderLedger } from './ledger.js';
import { checkOrdersAsAsked } from './orders.js';
import { checkFailedRequests } from './requests.js';
import { checkNoOversell } from './stock.js';
import { checkTrafficBack } from './traffic-back.js';

/**
 * Checks what must hold after the outage, in the order they print: over the requests, the
 * database, the platform's queues in Redis (`queuePrefix`) and the provider's ledger. Returns
 * the outcomes counted and how many customers acted after their order had expired.
 */
export async function checkInvariants(observed: Observed, sql: pg.Client, redisUrl: string, queuePrefix: string): Promise<{ outcomes: Outcomes; late: number }> {
  checkFailedRequests(observed.requests);
  const outcomes = checkTheRunDidEnough(observed);
  checkOrdersAsAsked(observed);
  await checkInterruptedWorkFinished(observed, redisUrl, queuePrefix);
  const late = checkIntentsFulfilled(observed);
  checkProviderLedger(observed);
  await checkNoOversell(sql, observed.shop);
  checkTrafficBack(observed);
  return { outcomes, late };
}
