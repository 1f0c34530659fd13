import { describe, expect, it } from 'vitest';
import { summariseProfile, type CpuProfile } from './summary.js';

const frame = (functionName: string, url = '', lineNumber = -1) => ({ functionName, url, lineNumber });

// root → handler → (hash, stringify); idle and the garbage collector beside them.
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('handler', 'file:///repo/gateway/src/server.ts', 9) },
    { id: 3, callFrame: frame('hash', 'file:///repo/node_modules/jose/dist/sign.js', 0) },
    { id: 4, callFrame: frame('stringify', 'file:///repo/gateway/src/server.ts', 41) },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
    // The same function reached by another path: its self time adds up with node 3's.
    { id: 7, callFrame: frame('hash', 'file:///repo/node_modules/jose/dist/sign.js', 0) },
  ],
  startTime: 0,
  endTime: 10_000,
  // Delta i+1 is what sample i stands for: hash 3000 + 1000, stringify 2000, handler 1000, gc 500, idle 2500.
  samples: [3, 4, 2, 6, 5, 7, 1],
  timeDeltas: [100, 3000, 2000, 1000, 500, 2500, 1000],
};

describe('summariseProfile', () => {
  it('ranks the functions that ran by self time over the busy samples, idle apart, one row per function', () => {
    const summary = summariseProfile(profile, 'gateway.1.cpuprofile', '/repo/');
    expect(summary.busyMs).toBe(7.5);
    expect(summary.idleMs).toBe(2.5);
    expect(summary.top.map((f) => [f.function, f.location, f.selfMs])).toEqual([
      ['hash', 'node_modules/jose/dist/sign.js:1', 4],
      ['stringify', 'gateway/src/server.ts:42', 2],
      ['handler', 'gateway/src/server.ts:10', 1],
      ['(garbage collector)', '', 0.5],
    ]);
    expect(summary.top[0]!.selfShare).toBeCloseTo(4 / 7.5, 3);
  });

  it('keeps only the first `limit` functions', () => {
    expect(summariseProfile(profile, 'p', '/repo/', 2).top.map((f) => f.function)).toEqual(['hash', 'stringify']);
  });

  it('reads only the samples inside the given windows when asked, on the profile\'s own clock', () => {
    // Sample times: 100, 3100, 5100, 6100, 6600, 9100, 10100 (startTime 0 plus the deltas so far).
    const summary = summariseProfile(profile, 'p', '/repo/', 15, [
      [3000, 5200],
      [9000, 9200],
    ]);
    expect(summary.span).toBe('measured windows');
    // stringify (sample 1, 2000), handler (sample 2, 1000), hash (sample 5, 1000).
    expect(summary.top.map((f) => [f.function, f.selfMs])).toEqual([
      ['stringify', 2],
      ['handler', 1],
      ['hash', 1],
    ]);
    expect(summary.idleMs).toBe(0);
  });

  it('spreads the duration over hit counts when the profile has no timeline', () => {
    const { samples: _samples, timeDeltas: _deltas, ...rest } = profile;
    const hits = [0, 1, 3, 0, 0, 0, 0];
    const summary = summariseProfile({ ...rest, nodes: rest.nodes.map((node, i) => ({ ...node, hitCount: hits[i] })) }, 'p', '/repo/');
    expect(summary.top.map((f) => [f.function, f.selfMs])).toEqual([
      ['hash', 7.5],
      ['handler', 2.5],
    ]);
  });
});
