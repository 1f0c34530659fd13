import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from '@shopgraph/common';
import { closeQueues, createQueueConnection, createQueues, jobIds, type QueueSet } from '@shopgraph/queues';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { deferred, testEnv, testRedisUrl, testServerUrl, type Deferred } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/held-expiry-process.ts', import.meta.url));
const prefix = testQueuePrefix();

let connection: RedisClient;
let queues: QueueSet;
let child: ChildProcess | undefined;

/** The fixture process, and promises for the log lines the test waits on. */
interface HeldWorkers {
  child: ChildProcess;
  /** Resolves once the job for this order id has started (and is held). */
  started(orderId: string): Promise<void>;
  /** Resolves once the process has taken its shutdown signal. */
  shuttingDown: Promise<void>;
  /** Lets every held job, and any later one, finish. */
  release(): void;
  exited: Promise<number | null>;
}

/** Starts the fixture process and resolves once it logs that it is ready. */
function startWorkersProcess(): Promise<HeldWorkers> {
  const started = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      ...process.env,
      ...testEnv(testServerUrl, { QUEUE_PREFIX: prefix, DASHBOARD_PORT: '0', LOG_LEVEL: 'info', WORKER_CONCURRENCY_EXPIRIES: '2' }),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const jobs = new Map<string, Deferred<void>>();
  const jobStarted = (orderId: string) => jobs.get(orderId) ?? jobs.set(orderId, deferred()).get(orderId)!;
  const shuttingDown = deferred();
  const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const text of lines) {
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as { msg?: string; orderId?: string };
        if (line.msg === 'job started') jobStarted(line.orderId!).resolve();
        if (line.msg === 'shutting down') shuttingDown.resolve();
        if (line.msg === 'workers ready') {
          resolve({
            child: started,
            started: (orderId) => jobStarted(orderId).promise,
            shuttingDown: shuttingDown.promise,
            release: () => started.stdin!.write('release\n'),
            exited,
          });
        }
      }
    };
    started.stdout!.on('data', onData);
    started.stderr!.on('data', onData);
    started.once('exit', (code) => reject(new Error(`workers exited with ${code} before ready:\n${output}`)));
  });
}

beforeAll(() => {
  connection = createQueueConnection(testRedisUrl);
  queues = createQueues(connection, prefix);
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await closeQueues(queues);
  await connection.quit();
  await removeQueueKeys(testRedisUrl, prefix);
});

const addExpiry = async () => {
  const orderId = randomUUID();
  await queues.expiries.add('expire-order', { orderId, version: 1 }, { jobId: jobIds.expireOrder(orderId, 1) });
  return orderId;
};

describe('SIGTERM', () => {
  it('lets the running jobs finish, starts no other, and exits 0', async () => {
    const workers = await startWorkersProcess();
    child = workers.child;
    // Both of the queue's slots busy with held jobs, and a third job waiting for a slot.
    const running = [await addExpiry(), await addExpiry()];
    await Promise.all(running.map((orderId) => workers.started(orderId)));
    const next = await addExpiry();
    expect(await queues.expiries.getJobState(jobIds.expireOrder(next, 1))).toBe('waiting');

    child.kill('SIGTERM');
    await workers.shuttingDown;
    // A worker still taking jobs would take the waiting one as a running job finishes.
    workers.release();
    expect(await workers.exited).toBe(0);

    for (const orderId of running) {
      const job = (await queues.expiries.getJob(jobIds.expireOrder(orderId, 1)))!;
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ drained: orderId });
    }
    expect(await queues.expiries.getJobState(jobIds.expireOrder(next, 1))).toBe('waiting');
    expect(await queues.expiries.getActiveCount()).toBe(0);
  });
});
