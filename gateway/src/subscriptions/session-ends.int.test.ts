import { randomUUID } from 'node:crypto';
import { createCacheConnection } from '@shopgraph/cache';
import { createLogger, publishEndedSession, publishTokenVersion } from '@shopgraph/common';
import { removeKeysWithPrefix, testRedisUrl, waitFor } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { listenToSessionEnds } from './session-ends.js';

const keyPrefix = `test:session-ends:${randomUUID()}:`;
const redis = new Redis(testRedisUrl);
const subscriber = createCacheConnection(testRedisUrl, 'subscriber');

afterAll(async () => {
  subscriber.disconnect();
  await removeKeysWithPrefix(testRedisUrl, keyPrefix);
  await redis.quit();
});

describe('listenToSessionEnds', () => {
  it('hears each write of a user’s sessions made by the users subgraph’s store, and says when it may have missed some', async () => {
    const heard: (string | null)[] = [];
    listenToSessionEnds(subscriber, keyPrefix, (userId) => heard.push(userId), createLogger('test', 'silent'));
    const store = { redis, keyPrefix, tokenTtlMs: 60_000 };
    const [alice, bob] = [randomUUID(), randomUUID()];
    // Subscribed once the connection is ready: announced until heard, then once more, which comes after every earlier one.
    await waitFor(
      async () => {
        await publishEndedSession(store, 'probe', randomUUID(), Date.now() + 60_000);
        return heard.length > 0 || undefined;
      },
      { what: 'the first announcement' },
    );
    await publishEndedSession(store, 'last-probe', randomUUID(), Date.now() + 60_000);
    await waitFor(() => heard.includes('last-probe') || undefined, { what: 'the last probe' });
    heard.length = 0;
    await publishTokenVersion(store, bob, 3);
    // Another namespace's announcements are not this gateway's (heard in order: before alice's, if at all).
    await publishTokenVersion({ ...store, keyPrefix: `${keyPrefix}other:` }, alice, 1);
    await publishTokenVersion(store, alice, 2);
    await waitFor(() => heard.includes(alice) || undefined, { what: "alice's raised version" });
    expect(heard).toEqual([bob, alice]);

    // The connection lost and back: whatever was announced meanwhile went unheard, so every user is asked about.
    subscriber.disconnect(true);
    await waitFor(() => heard.includes(null) || undefined, { timeoutMs: 20_000, what: 'the word after reconnecting' });
    expect(heard).toEqual([bob, alice, null]);
  });
});
