import type { PeakConnections } from './connections.js';
import type { FinalState } from './final-state.js';
import type { FailedRequests } from './invariants/requests.js';
import type { CheckoutRecord, RequestRecord } from './load.js';
import type { Outage } from './outage.js';
import type { Platform } from './platform.js';
import type { Readmission } from './readmission.js';
import type { Unsettled } from './settling.js';
import type { Shop } from './shop.js';

/** Everything the run saw, which the checks and the figures read. */
export interface Observed {
  platform: Platform;
  shop: Shop;
  /** Every request the load sent, as the client saw it. */
  records: RequestRecord[];
  /** When each request was sent, and to which gateway. */
  sent: { gateway: string; at: number }[];
  checkouts: CheckoutRecord[];
  loadStartedAt: number;
  loadEndedAt: number;
  outage: Outage;
  readmission: Readmission;
  /** What was left to settle when the drain ended, and how long it took. */
  unsettled: Unsettled;
  drainMs: number;
  state: FinalState;
  requests: FailedRequests;
  /** Still sampling until the clean-up: its peak is read when it is printed. */
  connections: PeakConnections;
}
