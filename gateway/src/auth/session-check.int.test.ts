import { randomUUID } from 'node:crypto';
import { publishTokenVersion, type VerifiedToken } from '@shopgraph/common';
import { removeKeysWithPrefix, testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SessionCheck } from './session-check.js';

const redis = new Redis(testRedisUrl);
const keyPrefix = `test:session-check:${randomUUID()}:`;
let reads = 0;
/** The same Redis, counting the reads of session state. */
const counted = new Proxy(redis, {
  get(target, property, receiver) {
    if (property === 'hgetall') reads++;
    return Reflect.get(target, property, receiver);
  },
});

const tokenOf = (userId: string, version = 0): VerifiedToken => ({
  viewer: { id: userId, role: 'CUSTOMER' },
  session: { id: randomUUID(), version },
  expiresAt: Date.now() + 60_000,
});

afterAll(async () => {
  await removeKeysWithPrefix(testRedisUrl, keyPrefix);
  await redis.quit();
});

describe('SessionCheck', () => {
  it('reads Redis once for concurrent requests of one user, once per user', async () => {
    const check = new SessionCheck({ redis: counted, keyPrefix, cacheMs: 3_600_000 });
    const [alice, bob] = [randomUUID(), randomUUID()];
    const before = reads;
    const answers = await Promise.all([...Array.from({ length: 20 }, () => check.isLive(tokenOf(alice))), check.isLive(tokenOf(bob))]);
    expect(answers.every(Boolean)).toBe(true);
    expect(reads - before).toBe(2);
    // Answered from memory while the answer is fresh, without a promise.
    expect(check.liveNow(tokenOf(alice), Date.now())).toBe(true);
    await check.isLive(tokenOf(alice));
    expect(reads - before).toBe(2);
  });

  it('answers from memory only within cacheMs, and nothing it never read', async () => {
    const user = randomUUID();
    const fresh = new SessionCheck({ redis, keyPrefix, cacheMs: 60_000 });
    expect(fresh.liveNow(tokenOf(user), Date.now())).toBeUndefined();
    await publishTokenVersion({ redis, keyPrefix, tokenTtlMs: 60_000 }, user, 2);
    expect(await fresh.isLive(tokenOf(user, 1))).toBe(false);
    expect(fresh.liveNow(tokenOf(user, 1), Date.now())).toBe(false);
    expect(fresh.liveNow(tokenOf(user, 2), Date.now())).toBe(true);
    // Past cacheMs the answer is no longer trusted: the caller asks Redis again.
    expect(fresh.liveNow(tokenOf(user, 2), Date.now() + 60_000)).toBeUndefined();
  });
});
