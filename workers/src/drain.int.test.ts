import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from '@shopgraph/common';
import { closeQueues, createQueueConnection, createQueues, jobIds, type QueueSet } from '@shopgraph/queues';
import { removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { testEnv, testRedisUrl, testServerUrl } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/slow-expiry-process.ts', import.meta.url));
const prefix = testQueuePrefix();

let connection: RedisClient;
let queues: QueueSet;
let child: ChildProcess | undefined;

/** Starts the fixture process and resolves once it logs that it is ready. */
function startWorkersProcess(): Promise<ChildProcess> {
  const started = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, ...testEnv(testServerUrl, { QUEUE_PREFIX: prefix, DASHBOARD_PORT: '0', LOG_LEVEL: 'info' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('"msg":"workers ready"')) resolve(started);
    };
    started.stdout!.on('data', onData);
    started.stderr!.on('data', onData);
    started.once('exit', (code) => reject(new Error(`workers exited with ${code} before ready:\n${output}`)));
  });
}

async function waitForState(jobId: string, state: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await queues.expiries.getJobState(jobId)) !== state) {
    if (Date.now() > deadline) throw new Error(`job ${jobId} never became ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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

describe('SIGTERM', () => {
  it('lets the running job finish, starts no other, and exits 0', async () => {
    child = await startWorkersProcess();
    const running = randomUUID();
    const runningJobId = jobIds.expireOrder(running, 1);
    await queues.expiries.add('expire-order', { orderId: running, version: 1 }, { jobId: runningJobId });
    await waitForState(runningJobId, 'active');
    // Expiries run two at a time: add this one delayed so that it is still waiting at SIGTERM.
    const next = randomUUID();
    const nextJobId = jobIds.expireOrder(next, 1);
    await queues.expiries.add('expire-order', { orderId: next, version: 1 }, { jobId: nextJobId, delay: 300 });

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const job = await queues.expiries.getJob(runningJobId);
    expect(await job!.getState()).toBe('completed');
    expect(job!.returnvalue).toEqual({ drained: running });
    expect(await queues.expiries.getJobState(nextJobId)).toMatch(/^(waiting|delayed)$/);
    expect(await queues.expiries.getActiveCount()).toBe(0);
  });
});
