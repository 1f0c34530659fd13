import { describe, expect, it } from 'vitest';
import { InFlightDeduplicator } from './deduplicator.js';

const deferred = <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('InFlightDeduplicator', () => {
  it('runs one call for identical keys in flight and gives every caller its result', async () => {
    const dedupe = new InFlightDeduplicator<string>();
    const upstream = deferred<string>();
    let calls = 0;
    let joins = 0;
    const results = Array.from({ length: 5 }, () =>
      dedupe.run('k', () => (calls++, upstream.promise), () => joins++),
    );
    upstream.resolve('answer');
    expect(await Promise.all(results)).toEqual(Array(5).fill('answer'));
    expect({ calls, joins }).toEqual({ calls: 1, joins: 4 });
  });

  it('keeps different keys apart', async () => {
    const dedupe = new InFlightDeduplicator<string>();
    let calls = 0;
    await Promise.all(['a', 'b'].map((key) => dedupe.run(key, async () => (calls++, key))));
    expect(calls).toBe(2);
  });

  it('shares a failure with the callers that joined, then forgets it', async () => {
    const dedupe = new InFlightDeduplicator<string>();
    const upstream = deferred<string>();
    const first = dedupe.run('k', () => upstream.promise);
    const joined = dedupe.run('k', () => Promise.resolve('never'));
    upstream.reject(new Error('down'));
    await expect(first).rejects.toThrow('down');
    await expect(joined).rejects.toThrow('down');
    expect(await dedupe.run('k', async () => 'fresh')).toBe('fresh');
  });

  it('is no cache: a call after the first settled goes upstream again', async () => {
    const dedupe = new InFlightDeduplicator<number>();
    let calls = 0;
    await dedupe.run('k', async () => ++calls);
    expect(await dedupe.run('k', async () => ++calls)).toBe(2);
  });
});
