import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedisForBullmq, createQueueConnection, createWorkerConnection } from './redis.js';
import { startPrivateRedis, type PrivateRedis } from './testing.js';

const warnings: string[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _encoding, done) {
      warnings.push(String(chunk));
      done();
    },
  }),
);

let evicting: PrivateRedis;
let safe: PrivateRedis;

beforeAll(async () => {
  [evicting, safe] = await Promise.all([
    startPrivateRedis(['--maxmemory-policy', 'allkeys-lru']),
    startPrivateRedis(['--maxmemory-policy', 'noeviction']),
  ]);
});

afterAll(async () => {
  await Promise.all([evicting?.kill(), safe?.kill()]);
});

describe('checkRedisForBullmq', () => {
  it('accepts noeviction quietly and warns about any other maxmemory-policy', async () => {
    const quiet = createQueueConnection(safe.url);
    const unsafe = createWorkerConnection(evicting.url);
    try {
      expect(await checkRedisForBullmq(quiet, logger)).toBe('noeviction');
      expect(warnings).toEqual([]);
      expect(await checkRedisForBullmq(unsafe, logger)).toBe('allkeys-lru');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('noeviction');
    } finally {
      quiet.disconnect();
      unsafe.disconnect();
    }
  });

  it('configures worker connections as BullMQ requires and keeps the producers\' offline queue', () => {
    const worker = createWorkerConnection(evicting.url);
    const producer = createQueueConnection(evicting.url);
    try {
      expect((worker as Redis).options.maxRetriesPerRequest).toBeNull();
      expect((producer as Redis).options.enableOfflineQueue).toBe(true);
    } finally {
      worker.disconnect();
      producer.disconnect();
    }
  });
});
