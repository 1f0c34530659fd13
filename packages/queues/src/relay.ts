import type { Db, Logger, RedisClient, SubgraphName } from '@shopgraph/common';
import { Queue } from 'bullmq';
import { and, asc, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { tryAdvisoryLock, type AdvisoryLock } from './advisory-lock.js';
import { firstBackoffMs, jobOptionsFor } from './job-options.js';
import type { OutboxTable } from './outbox.js';

export interface OutboxRelayOptions {
  /** The subgraph's own database (its role and schema), where `outbox` lives. */
  db: Db;
  subgraph: SubgraphName;
  outbox: OutboxTable;
  /** A producer connection (`createQueueConnection`); the relay does not close it. */
  connection: RedisClient;
  prefix: string;
  logger: Logger;
  /** Gets `shopgraph_outbox_relayed_total`, `shopgraph_outbox_relay_lag_seconds`, `shopgraph_outbox_relay_leader`. */
  registry: Registry;
  /**
   * How long the leader sleeps when the outbox is empty and no notification comes: the safety
   * sweep that relays a row whose NOTIFY was missed. Commits wake the leader, so this is not a
   * poll; an idle database sees one sweep per interval and nothing else.
   */
  intervalMs?: number;
  /** Rows read and added per batch, and how many relayed rows wait before they are marked sent. */
  batchSize?: number;
  /**
   * How long a relayed row may wait to be marked sent, so that the marks of many rows share one
   * transaction. Until then a new leader would add its job again, which BullMQ ignores.
   */
  markDelayMs?: number;
  /** How often a follower asks for the lock, and how often the leader checks its lock connection. */
  lockRetryMs?: number;
  /**
   * Direct dispatch (docs/checkout.md, "Principles"): asked for each row due now. Answers the
   * job's run when this process takes the job itself (a free slot), or `undefined` to leave it
   * to BullMQ. The row is marked sent once the run settles; a run that rejects hands the job to
   * BullMQ first, which then retries it.
   */
  dispatch?: (job: RelayedJob) => Promise<unknown> | undefined;
}

/** An outbox row's job, as the relay hands it to `dispatch`. */
export interface RelayedJob {
  queue: string;
  name: string;
  jobId: string;
  payload: unknown;
}

export interface OutboxRelay {
  /** Finishes the batch in flight, marks what it relayed, gives the lock up and closes the relay's queues. */
  stop(): Promise<void>;
}

/** The advisory lock key of a subgraph's relay; one holder per subgraph across all replicas. */
export const relayLockKey = (subgraph: SubgraphName) => `shopgraph:outbox:${subgraph}`;

const ERROR_BACKOFF_MS = 1000;

function relayMetrics(registry: Registry) {
  // Several relays (one per subgraph) share the workers' registry: register each metric once.
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    relayed:
      existing<Counter<'subgraph'>>('shopgraph_outbox_relayed_total') ??
      new Counter({
        name: 'shopgraph_outbox_relayed_total',
        help: 'Outbox rows moved to BullMQ',
        labelNames: ['subgraph'],
        registers: [registry],
      }),
    lag:
      existing<Histogram<'subgraph'>>('shopgraph_outbox_relay_lag_seconds') ??
      new Histogram({
        name: 'shopgraph_outbox_relay_lag_seconds',
        help: 'Time from an outbox insert to its job running in the relay (direct dispatch) or being in BullMQ',
        labelNames: ['subgraph'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      }),
    leader:
      existing<Gauge<'subgraph'>>('shopgraph_outbox_relay_leader') ??
      new Gauge({
        name: 'shopgraph_outbox_relay_leader',
        help: '1 while this replica holds the outbox lock of the subgraph and relays',
        labelNames: ['subgraph'],
        registers: [registry],
      }),
  };
}

/**
 * A sleep that `wake()` cuts short, so `stop()` never waits out an interval and a notification
 * starts the next batch at once. A wake while awake is remembered: the next sleep returns at once.
 */
function createSleeper() {
  let wakeSleeper: (() => void) | undefined;
  let woken = false;
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        if (woken) {
          woken = false;
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          wakeSleeper = undefined;
          resolve();
        }, ms);
        wakeSleeper = () => {
          clearTimeout(timer);
          wakeSleeper = undefined;
          resolve();
        };
      }),
    wake: () => {
      if (wakeSleeper) wakeSleeper();
      else woken = true;
    },
  };
}

/**
 * Moves a subgraph's outbox rows to BullMQ (docs/checkout.md, "Outbox"). Runs in every workers
 * replica; only the holder of `pg_try_advisory_lock(hashtext('shopgraph:outbox:<subgraph>'))`
 * relays. A batch is a read, not a write: up to `batchSize` unsent rows this leader has not
 * relayed yet, added with their deterministic job ids in one round trip per queue. The rows are
 * marked sent later, many in one statement: once `batchSize` wait, or `markDelayMs` after the
 * first. A leader that dies before marking leaves them unsent; the next one adds them again and
 * BullMQ, which ignores an id it has, drops the copies.
 *
 * With `dispatch` (direct dispatch), a row due now whose job this process takes is not added:
 * the job runs here, and the row counts as relayed once the run succeeded, or once its job is in
 * BullMQ after the run failed. A leader that dies meanwhile leaves the row to the next, which
 * runs the job again (every job is idempotent).
 *
 * The leader relays when a commit notifies it, at once after it takes the lock (rows committed
 * while nobody listened), and otherwise once per `intervalMs` as a safety sweep.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, subgraph, outbox, connection, prefix, intervalMs = 30_000, batchSize = 100, markDelayMs = 1000, lockRetryMs = 1000 } = options;
  const logger = options.logger.child({ component: 'outbox-relay', subgraph });
  const metrics = relayMetrics(options.registry);
  const queues = new Map<string, Queue>();
  const queueFor = (name: string) => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection, prefix });
      // The connection's own listener logs its trouble; without one here BullMQ prints each error.
      queue.on('error', (error) => logger.debug({ err: error, queue: name }, 'queue connection error'));
      queues.set(name, queue);
    }
    return queue;
  };
  const sleeper = createSleeper();
  let stopping = false;
  let lock: AdvisoryLock | undefined;
  let lockVerifiedAt = 0;
  metrics.leader.set({ subgraph }, 0);

  const onLockLost = (error: unknown) => {
    metrics.leader.set({ subgraph }, 0);
    logger.warn({ err: error }, 'lost the outbox lock connection: relaying stops until the lock is held again');
    // Notifications stopped with the connection (e.g. Postgres restarted): take the lock again
    // now, and with it the sweep of what was committed meanwhile, not at the next safety sweep.
    sleeper.wake();
  };

  // Rows whose job this process runs (dispatch): neither read again nor marked until it settles.
  const running = new Map<number, Promise<void>>();
  // Relayed by this replica, not yet marked sent; the first one's relay time.
  let unmarked: number[] = [];
  let firstUnmarkedAt = 0;
  const markDue = () => unmarked.length >= batchSize || (unmarked.length > 0 && Date.now() - firstUnmarkedAt >= markDelayMs);

  async function markSent(): Promise<void> {
    const ids = unmarked;
    await db
      .update(outbox)
      .set({ sentAt: sql`now()` })
      .where(and(inArray(outbox.id, ids), isNull(outbox.sentAt)));
    unmarked = unmarked.slice(ids.length);
  }

  /** Adds rows to those to mark; true when they are the first, whose relay time starts the mark delay. */
  const toMark = (ids: number[]): boolean => {
    if (ids.length === 0) return false;
    const first = unmarked.length === 0;
    if (first) firstUnmarkedAt = Date.now();
    unmarked = [...unmarked, ...ids];
    return first;
  };

  function readBatch() {
    const skipped = [...unmarked, ...running.keys()];
    return db
      .select({
        id: outbox.id,
        queue: outbox.queue,
        jobName: outbox.jobName,
        jobId: outbox.jobId,
        payload: outbox.payload,
        // Computed on the database clock, the same one that stamped created_at.
        remainingDelayMs: sql<number>`greatest(0, ${outbox.delayMs} - extract(epoch from now() - ${outbox.createdAt}) * 1000)::int`,
        ageSeconds: sql<number>`extract(epoch from clock_timestamp() - ${outbox.createdAt})::float8`,
      })
      .from(outbox)
      .where(skipped.length > 0 ? and(isNull(outbox.sentAt), notInArray(outbox.id, skipped)) : isNull(outbox.sentAt))
      .orderBy(asc(outbox.id))
      .limit(batchSize);
  }

  type Row = Awaited<ReturnType<typeof readBatch>>[number];
  const addToQueue = (queueName: string, group: Row[], delayMs?: number) =>
    queueFor(queueName).addBulk(
      group.map((row) => ({
        name: row.jobName,
        data: row.payload,
        opts: { ...jobOptionsFor(row.jobName), jobId: row.jobId, delay: delayMs ?? row.remainingDelayMs },
      })),
    );

  /** Runs the row's job in this process; the row may be marked once the run succeeded or BullMQ holds the job. */
  function runHere(row: Row, run: Promise<unknown>) {
    const settled = run
      .then(
        () => true,
        async (error: unknown) => {
          logger.debug({ err: error, jobId: row.jobId }, 'job run by the relay failed: handed to BullMQ, which retries it');
          try {
            // The run here was the first attempt: BullMQ's first one waits the job's first backoff.
            await addToQueue(row.queue, [row], firstBackoffMs(row.jobName));
            return true;
          } catch (addError) {
            // Not marked: the next batch (a notification, the marks, the sweep) takes it again.
            logger.warn({ err: addError, jobId: row.jobId }, 'job run by the relay failed and could not be handed to BullMQ');
            return false;
          }
        },
      )
      .then((markable) => {
        running.delete(row.id);
        // The leader may be asleep for a whole sweep interval: the first mark sets its next wake-up.
        if (markable && toMark([row.id])) sleeper.wake();
      });
    running.set(row.id, settled);
  }

  async function relayBatch(): Promise<number> {
    const rows = await readBatch();
    if (rows.length === 0) return 0;
    const byQueue = new Map<string, Row[]>();
    for (const row of rows) {
      const run = row.remainingDelayMs === 0 && !stopping ? options.dispatch?.({ queue: row.queue, name: row.jobName, jobId: row.jobId, payload: row.payload }) : undefined;
      if (run) {
        runHere(row, run);
        continue;
      }
      const group = byQueue.get(row.queue);
      if (group) group.push(row);
      else byQueue.set(row.queue, [row]);
    }
    // Within a queue, jobs are added in the order they were written.
    await Promise.all([...byQueue].map(([queueName, group]) => addToQueue(queueName, group)));
    toMark([...byQueue.values()].flat().map((row) => row.id));
    metrics.relayed.inc({ subgraph }, rows.length);
    for (const row of rows) metrics.lag.observe({ subgraph }, row.ageSeconds);
    return rows.length;
  }

  /** Holds the lock, or learns that another replica does; returns whether to relay now. */
  async function ensureLeadership(): Promise<boolean> {
    if (lock && Date.now() - lockVerifiedAt >= lockRetryMs) {
      lockVerifiedAt = Date.now();
      await lock.verify(lockRetryMs);
    }
    if (lock && !lock.held()) {
      await lock.release();
      lock = undefined;
      // Give the other replicas the first chance at the lock.
      await sleeper.sleep(lockRetryMs);
      return false;
    }
    if (lock) return true;
    lock = await tryAdvisoryLock(db, relayLockKey(subgraph), onLockLost, (schema) => {
      if (schema === subgraph) sleeper.wake();
    });
    if (!lock) {
      await sleeper.sleep(lockRetryMs);
      return false;
    }
    lockVerifiedAt = Date.now();
    metrics.leader.set({ subgraph }, 1);
    logger.info('holding the outbox lock: relaying');
    return true;
  }

  const loop = (async () => {
    // Failures in a row: an outage of Postgres or Redis is logged once, and so is its end.
    let failures = 0;
    while (!stopping) {
      try {
        // Also without the lock: the jobs of these rows are in BullMQ, whoever relays now.
        if (markDue()) await markSent();
        if (!(await ensureLeadership()) || stopping) continue;
        const relayed = await relayBatch();
        if (failures > 0) logger.info({ failures }, 'outbox relay recovered: relaying again');
        failures = 0;
        if (relayed > 0) logger.debug({ relayed }, 'relayed outbox rows');
        // A full batch means more rows are waiting: go again at once. Otherwise sleep until a
        // commit notifies, the marks are due, or the safety sweep.
        const untilMarks = markDue() ? 0 : unmarked.length > 0 ? firstUnmarkedAt + markDelayMs - Date.now() : intervalMs;
        if (relayed < batchSize && untilMarks > 0) await sleeper.sleep(Math.min(intervalMs, untilMarks));
      } catch (error) {
        failures++;
        if (failures === 1) logger.error({ err: error }, 'outbox relay failed: retrying every second until it succeeds');
        else logger.debug({ err: error, failures }, 'outbox relay failed again');
        await sleeper.sleep(ERROR_BACKOFF_MS);
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      sleeper.wake();
      await loop;
      // The jobs this process runs finish first, as a BullMQ worker's active jobs do on close.
      await Promise.all(running.values());
      // What is left unmarked is relayed again by the next leader, which BullMQ ignores.
      if (unmarked.length > 0) await markSent().catch((error: unknown) => logger.warn({ err: error }, 'relayed outbox rows not marked sent'));
      await lock?.release();
      lock = undefined;
      metrics.leader.set({ subgraph }, 0);
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
