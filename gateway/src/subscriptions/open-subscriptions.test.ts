import { deferred } from '@shopgraph/testing';
import type { FormattedExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SharedReads } from './open-subscriptions.js';

describe('SharedReads', () => {
  it('shares a read in flight with those whose event came before it started, and only with them', async () => {
    const reads = new SharedReads();
    const started: ReturnType<typeof deferred<FormattedExecutionResult>>[] = [];
    const run = () => {
      const read = deferred<FormattedExecutionResult>();
      started.push(read);
      return read.promise;
    };
    const eventBefore = performance.now();
    const first = reads.read('k', eventBefore, run);
    // A second subscriber of the same event: the read started after its event, it is shared.
    const shared = reads.read('k', eventBefore, run);
    expect(started).toHaveLength(1);
    // An event that arrives after the read started may not be in it: a read of its own.
    const later = reads.read('k', performance.now(), run);
    expect(started).toHaveLength(2);
    // Another key never shares.
    void reads.read('other', eventBefore, run);
    expect(started).toHaveLength(3);

    started[0]!.resolve({ data: { n: 1 } });
    started[1]!.resolve({ data: { n: 2 } });
    expect(await first).toEqual({ data: { n: 1 } });
    expect(await shared).toBe(await first);
    expect(await later).toEqual({ data: { n: 2 } });
    // Done reads are forgotten: the next one runs.
    void reads.read('k', eventBefore, run);
    expect(started).toHaveLength(4);
  });
});
