import { randomUUID } from 'node:crypto';
import { createDb, createLogger, ensureSubgraphSchema, type Db, type RedisClient } from '@shopgraph/common';
import { createTestDatabase, testRedisUrl, waitFor, type TestDatabase } from '@shopgraph/testing';
import { Queue } from 'bullmq';
import { eq, isNull, sql } from 'drizzle-orm';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobIds } from './job-ids.js';
import { firstBackoffMs } from './job-options.js';
import { enqueueInTransaction, outboxTable } from './outbox.js';
import { createQueueConnection } from './redis.js';
import { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type RelayedJob } from './relay.js';
import { createOutboxForTest, removeQueueKeys, testQueuePrefix } from './testing.js';

const logger = createLogger('queues-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const outbox = outboxTable();
const prefix = testQueuePrefix();

let database: TestDatabase;
let db: Db;
let connection: RedisClient;
let reservations: Queue;
let payments: Queue;
const running: OutboxRelay[] = [];

function relay(registry: Registry, lockRetryMs: number, intervalMs = 20, more: Pick<OutboxRelayOptions, 'batchSize' | 'markDelayMs' | 'dispatch'> = {}): OutboxRelay {
  const started = startOutboxRelay({ db, subgraph: 'orders', outbox, connection, prefix, logger, registry, intervalMs, lockRetryMs, ...more });
  running.push(started);
  return started;
}

async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  return (await metric.get()).values.reduce((sum, { value }) => sum + value, 0);
}

const isLeader = async (registry: Registry) => (await metricValue(registry, 'shopgraph_outbox_relay_leader')) === 1;
const relayedBy = (registry: Registry) => metricValue(registry, 'shopgraph_outbox_relayed_total');
const unsentRows = async () => (await db.select({ id: outbox.id }).from(outbox).where(isNull(outbox.sentAt))).length;

async function placeReservations(count: number): Promise<string[]> {
  const orderIds = Array.from({ length: count }, () => randomUUID());
  // Many small concurrent transactions, as mutations would write them.
  await Promise.all(
    orderIds.map((orderId) =>
      db.transaction((tx) =>
        enqueueInTransaction(tx, outbox, {
          queue: 'reservations',
          name: 'reserve-stock',
          jobId: jobIds.reserveStock(orderId, 1),
          payload: { orderId, version: 1 },
        }),
      ),
    ),
  );
  return orderIds;
}

beforeAll(async () => {
  database = await createTestDatabase('sg_queues');
  await ensureSubgraphSchema(database.url, 'orders');
  db = createDb({ url: database.url, subgraph: 'orders', logger, max: 20 });
  await createOutboxForTest(db, outbox);
  connection = createQueueConnection(testRedisUrl);
  reservations = new Queue('reservations', { connection, prefix });
  payments = new Queue('payments', { connection, prefix });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((started) => started.stop()));
});

afterAll(async () => {
  await reservations?.close();
  await payments?.close();
  connection?.disconnect();
  await db?.$client.end();
  await removeQueueKeys(testRedisUrl, prefix);
  await database?.drop();
});

/** Terminates the session holding the relay's lock (the only advisory lock in this test database), as a Postgres restart would. */
async function endLockSession(): Promise<void> {
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ pid: number }>(
      `select pid from pg_locks
        where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`,
    );
    expect(rows).toHaveLength(1);
    await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
  } finally {
    await admin.end();
  }
}

/** Places one reservation and waits until its job is in BullMQ. */
async function placeRelayed(): Promise<string> {
  const [orderId] = await placeReservations(1);
  await waitFor(async () => (await reservations.getJob(jobIds.reserveStock(orderId!, 1))) !== undefined);
  return orderId!;
}

describe('enqueueInTransaction', () => {
  it('refuses a payload that does not match its schema', async () => {
    await expect(
      db.transaction((tx) =>
        enqueueInTransaction(tx, outbox, {
          queue: 'reservations',
          name: 'reserve-stock',
          jobId: 'reserve-bad',
          payload: { orderId: 'not-a-uuid', version: 1 },
        }),
      ),
    ).rejects.toThrow();
    await expect(
      db.transaction((tx) =>
        enqueueInTransaction(tx, outbox, {
          queue: 'payments',
          name: 'charge-payment',
          jobId: '123',
          payload: { paymentId: randomUUID() },
        }),
      ),
    ).rejects.toThrow(/Invalid job id/);
    expect(await unsentRows()).toBe(0);
  });

  it('writes nothing when the surrounding transaction rolls back, and a repeated job id once', async () => {
    const orderId = randomUUID();
    const request = {
      queue: 'reservations',
      name: 'release-stock',
      jobId: jobIds.releaseStock(orderId),
      payload: { orderId, reason: 'cancelled' },
    } as const;
    await expect(
      db.transaction(async (tx) => {
        await enqueueInTransaction(tx, outbox, request);
        throw new Error('the mutation failed after its enqueue');
      }),
    ).rejects.toThrow('the mutation failed');
    expect(await unsentRows()).toBe(0);

    await db.transaction((tx) => enqueueInTransaction(tx, outbox, request));
    await db.transaction((tx) => enqueueInTransaction(tx, outbox, request));
    expect(await unsentRows()).toBe(1);
    await db.delete(outbox);
  });
});

describe('the outbox relay', () => {
  it('moves every row to BullMQ exactly once while two relays run side by side', async () => {
    const [first, second] = [new Registry(), new Registry()];
    relay(first, 50);
    relay(second, 50);
    const paymentId = randomUUID();
    const [orderIds] = await Promise.all([
      placeReservations(300),
      db.transaction((tx) =>
        enqueueInTransaction(tx, outbox, {
          queue: 'payments',
          name: 'charge-payment',
          jobId: jobIds.chargePayment(paymentId),
          payload: { paymentId },
        }),
      ),
    ]);
    await waitFor(async () => (await unsentRows()) === 0);

    // Counted by the relays themselves: a row sent twice would show here even though BullMQ
    // would have ignored the second add of its job id.
    expect((await relayedBy(first)) + (await relayedBy(second))).toBe(301);
    expect([await isLeader(first), await isLeader(second)].filter(Boolean)).toHaveLength(1);

    const jobs = await reservations.getJobs(['waiting']);
    expect(jobs).toHaveLength(300);
    expect(new Set(jobs.map((job) => job.id))).toEqual(new Set(orderIds.map((orderId) => jobIds.reserveStock(orderId, 1))));
    const job = jobs.find((candidate) => candidate.id === jobIds.reserveStock(orderIds[0]!, 1))!;
    expect(job.name).toBe('reserve-stock');
    expect(job.data).toEqual({ orderId: orderIds[0], version: 1 });
    expect(job.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 250 }, removeOnComplete: { age: 86_400 } });
    expect((await payments.getJob(jobIds.chargePayment(paymentId)))?.data).toEqual({ paymentId });
  });

  it('delays a job by delay_ms counted from the insert', async () => {
    const orderId = randomUUID();
    const jobId = jobIds.expireOrder(orderId, 1);
    const [row] = await db.transaction(async (tx) => {
      await enqueueInTransaction(tx, outbox, { queue: 'expiries', name: 'expire-order', jobId, payload: { orderId, version: 1 }, delayMs: 60_000 });
      // Inserted 20 s before this transaction: 40 s of the minute are left at most.
      return tx
        .update(outbox)
        .set({ createdAt: sql`now() - interval '20 seconds'` })
        .where(eq(outbox.jobId, jobId))
        .returning({ createdAt: outbox.createdAt });
    });
    relay(new Registry(), 50);
    await waitFor(async () => (await unsentRows()) === 0);
    // However long the relay took, it took less than this, as the database's own clock tells.
    const { rows } = await db.$client.query<{ sinceInsertMs: number }>(
      'select (extract(epoch from now() - $1::timestamptz) * 1000)::int as "sinceInsertMs"',
      [row!.createdAt],
    );
    const expiries = new Queue('expiries', { connection, prefix });
    try {
      const job = await expiries.getJob(jobId);
      expect(await job?.getState()).toBe('delayed');
      expect(job!.opts.delay).toBeLessThanOrEqual(40_000);
      expect(job!.opts.delay).toBeGreaterThanOrEqual(60_000 - rows[0]!.sinceInsertMs - 1);
    } finally {
      await expiries.close();
    }
  });

  it('hands the outbox to the other relay when the lock holder loses its connection, and when it stops', async () => {
    const [holder, standby] = [new Registry(), new Registry()];
    // The holder waits long before asking again, so the takeover is the standby's.
    relay(holder, 2_000);
    await waitFor(() => isLeader(holder));
    const standbyRelay = relay(standby, 50);

    await endLockSession();
    await waitFor(async () => (await isLeader(standby)) && !(await isLeader(holder)));

    const before = await relayedBy(holder);
    const orderIds = await placeReservations(20);
    await waitFor(async () => (await unsentRows()) === 0);
    expect(await relayedBy(standby)).toBe(20);
    expect(await relayedBy(holder)).toBe(before);
    for (const orderId of orderIds) {
      const job = await reservations.getJob(jobIds.reserveStock(orderId, 1));
      expect(job).toMatchObject({ name: 'reserve-stock', data: { orderId, version: 1 } });
      // Nothing works the queue in this file: a relayed job waits.
      expect(await job!.getState()).toBe('waiting');
    }

    // A clean stop gives the lock up at once; the first relay, still running, takes it back.
    running.splice(running.indexOf(standbyRelay), 1);
    await standbyRelay.stop();
    await waitFor(() => isLeader(holder));
    await placeReservations(5);
    await waitFor(async () => (await unsentRows()) === 0);
    expect(await relayedBy(holder)).toBe(before + 5);
  });
});

describe('marking rows sent', () => {
  it('relays without writing, then marks the rows it relayed in one statement once a batch of them waits', async () => {
    const registry = new Registry();
    // Neither the sweep nor the mark delay comes within the test: only a full batch marks.
    relay(registry, 200, 600_000, { batchSize: 5, markDelayMs: 600_000 });
    await waitFor(() => isLeader(registry));
    await waitFor(async () => (await unsentRows()) === 0);
    const orderIds = [await placeRelayed(), await placeRelayed(), await placeRelayed(), await placeRelayed()];
    // Four jobs in BullMQ, and not one row written for them.
    expect(await unsentRows()).toBe(4);
    orderIds.push(await placeRelayed());
    await waitFor(async () => (await unsentRows()) === 0);
    const { rows } = await db.$client.query<{ rows: number; marks: number }>(
      'select count(*)::int as rows, count(distinct sent_at)::int as marks from outbox where job_id = any($1)',
      [orderIds.map((orderId) => jobIds.reserveStock(orderId, 1))],
    );
    expect(rows[0]).toEqual({ rows: 5, marks: 1 });
    expect(await relayedBy(registry)).toBe(5);
  });

  it('leaves what a dead leader relayed but did not mark to the next, which adds it again (one job each) and marks it', async () => {
    const [holder, standby] = [new Registry(), new Registry()];
    // The holder never marks within the test and waits long before asking for the lock again.
    relay(holder, 2_000, 600_000, { markDelayMs: 600_000 });
    await waitFor(() => isLeader(holder));
    await waitFor(async () => (await unsentRows()) === 0);
    const orderIds = [await placeRelayed(), await placeRelayed(), await placeRelayed()];
    expect(await unsentRows()).toBe(3);

    relay(standby, 50, 600_000, { markDelayMs: 50 });
    await endLockSession();
    await waitFor(async () => (await unsentRows()) === 0);
    expect(await relayedBy(standby)).toBe(3);
    const jobs = await reservations.getJobs(['waiting']);
    for (const orderId of orderIds) expect(jobs.filter((job) => job.id === jobIds.reserveStock(orderId, 1))).toHaveLength(1);
  });
});

/** The row a commit whose notification got lost leaves: nothing wakes the relay for it. */
async function insertWithoutNotify(orderId: string): Promise<void> {
  await db.insert(outbox).values({ queue: 'reservations', jobName: 'reserve-stock', jobId: jobIds.reserveStock(orderId, 1), payload: { orderId, version: 1 } });
}

describe('waking the relay', () => {
  it('relays a committed row at once through NOTIFY, without waiting for the next poll', async () => {
    const registry = new Registry();
    // A poll interval far beyond the test's timeout: only the notification can move the row, and
    // waitFor's deadline, though generous, comes long before the next poll.
    relay(registry, 200, 600_000);
    await waitFor(() => isLeader(registry));
    // The leader has just found the outbox empty and gone to sleep for the long interval.
    await waitFor(async () => (await unsentRows()) === 0);
    const [orderId] = await placeReservations(1);
    await waitFor(async () => (await reservations.getJob(jobIds.reserveStock(orderId!, 1))) !== undefined);
  });

  it('relays a row whose notification was missed at its safety sweep', async () => {
    const registry = new Registry();
    relay(registry, 200, 50);
    await waitFor(() => isLeader(registry));
    const orderId = randomUUID();
    await insertWithoutNotify(orderId);
    await waitFor(async () => (await reservations.getJob(jobIds.reserveStock(orderId, 1))) !== undefined);
    // Marked a moment later, with whatever else was relayed by then.
    await waitFor(async () => (await unsentRows()) === 0);
  });

  it('relays what no notification announced as soon as it holds the lock again after losing its connection', async () => {
    const registry = new Registry();
    // No sweep before the test's timeout: only taking the lock again can move the row.
    relay(registry, 50, 600_000);
    await waitFor(() => isLeader(registry));
    await waitFor(async () => (await unsentRows()) === 0);
    const orderId = randomUUID();
    await insertWithoutNotify(orderId);

    await endLockSession();
    await waitFor(async () => (await reservations.getJob(jobIds.reserveStock(orderId, 1))) !== undefined);
    // Marked a moment later, with whatever else was relayed by then.
    await waitFor(async () => (await unsentRows()) === 0);
    expect(await isLeader(registry)).toBe(true);
  });
});

/** A dispatch that takes every job and runs it until the test settles it; `taken` lists the jobs in the order they came. */
function holdingDispatch() {
  const taken: RelayedJob[] = [];
  const settle = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  return {
    taken,
    dispatch: (job: RelayedJob) => {
      taken.push(job);
      return new Promise<void>((resolve, reject) => settle.set(job.jobId, { resolve, reject }));
    },
    finish: (jobId: string) => settle.get(jobId)!.resolve(),
    fail: (jobId: string) => settle.get(jobId)!.reject(new Error('the run failed')),
  };
}

const isSent = async (jobId: string) => (await db.select({ sentAt: outbox.sentAt }).from(outbox).where(eq(outbox.jobId, jobId)))[0]?.sentAt !== null;

describe('direct dispatch', () => {
  it('runs a due job itself, reads its row no more while it runs, marks it once the run finished, and BullMQ never sees it', async () => {
    const held = holdingDispatch();
    relay(new Registry(), 50, 20, { dispatch: held.dispatch, markDelayMs: 10 });
    const [first] = await placeReservations(1);
    const firstJob = jobIds.reserveStock(first!, 1);
    await waitFor(() => held.taken.length === 1);
    expect(held.taken[0]).toEqual({ queue: 'reservations', name: 'reserve-stock', jobId: firstJob, payload: { orderId: first, version: 1 } });
    // Another row wakes the relay while the first job runs: the first row is not taken again.
    const [second] = await placeReservations(1);
    await waitFor(() => held.taken.length === 2);
    expect(held.taken.map((job) => job.jobId)).toEqual([firstJob, jobIds.reserveStock(second!, 1)]);
    expect(await isSent(firstJob)).toBe(false);

    held.finish(firstJob);
    await waitFor(() => isSent(firstJob), { what: 'the finished job to be marked' });
    expect(await isSent(jobIds.reserveStock(second!, 1))).toBe(false);
    expect(await reservations.getJob(firstJob)).toBeUndefined();
    held.finish(jobIds.reserveStock(second!, 1));
  });

  it('hands a job whose run failed to BullMQ, delayed by its first backoff, then marks its row', async () => {
    const held = holdingDispatch();
    relay(new Registry(), 50, 20, { dispatch: held.dispatch, markDelayMs: 10 });
    const [orderId] = await placeReservations(1);
    const jobId = jobIds.reserveStock(orderId!, 1);
    await waitFor(() => held.taken.length === 1);
    expect(await reservations.getJob(jobId)).toBeUndefined();

    held.fail(jobId);
    await waitFor(() => isSent(jobId), { what: 'the failed job to be marked' });
    const job = (await reservations.getJob(jobId))!;
    expect(job.data).toEqual({ orderId, version: 1 });
    expect(job.opts.delay).toBe(firstBackoffMs('reserve-stock'));
    expect(job.opts.attempts).toBe(5);
    expect(held.taken).toHaveLength(1);
  });

  it('leaves a job to BullMQ when dispatch takes none, and a delayed one without asking', async () => {
    const asked: string[] = [];
    relay(new Registry(), 50, 20, { dispatch: (job) => void asked.push(job.jobId), markDelayMs: 10 });
    const orderId = await placeRelayed();
    expect(asked).toEqual([jobIds.reserveStock(orderId, 1)]);
    const expiring = randomUUID();
    await db.transaction((tx) =>
      enqueueInTransaction(tx, outbox, { queue: 'expiries', name: 'expire-order', jobId: jobIds.expireOrder(expiring, 1), payload: { orderId: expiring, version: 1 }, delayMs: 60_000 }),
    );
    await waitFor(() => isSent(jobIds.expireOrder(expiring, 1)));
    expect(asked).toEqual([jobIds.reserveStock(orderId, 1)]);
  });

  it('finishes the jobs it runs before it stops, and marks them', async () => {
    const held = holdingDispatch();
    // Marks never fall due while it runs: only stop() can mark the row.
    const started = relay(new Registry(), 50, 20, { dispatch: held.dispatch, markDelayMs: 60_000 });
    const [orderId] = await placeReservations(1);
    const jobId = jobIds.reserveStock(orderId!, 1);
    await waitFor(() => held.taken.length === 1);
    const stopped = started.stop();
    held.finish(jobId);
    await stopped;
    expect(await isSent(jobId)).toBe(true);
  });
});
