import { describe, expect, it } from 'vitest';
import { createBalancer, ipHash, leastConnections, roundRobin, weightedRoundRobin, type BalancedReplica } from './balancer.js';
import { HashRing } from './hash-ring.js';

const replica = (id: string, weight = 1, inFlight = 0): BalancedReplica => ({ id, weight, inFlight });
const a = replica('a', 3);
const b = replica('b', 2);
const c = replica('c', 1);

function picks(pick: () => BalancedReplica | undefined, count: number): string[] {
  return Array.from({ length: count }, () => pick()?.id ?? '-');
}

const tally = (ids: string[]) => ids.reduce<Record<string, number>>((counts, id) => ({ ...counts, [id]: (counts[id] ?? 0) + 1 }), {});

describe('roundRobin', () => {
  it('takes each available replica in turn, weights ignored', () => {
    const balancer = roundRobin<BalancedReplica>();
    expect(picks(() => balancer.pick([a, b, c]), 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('spreads evenly over whatever is available, and answers nothing when nothing is', () => {
    const balancer = roundRobin<BalancedReplica>();
    expect(tally(picks(() => balancer.pick([a, c]), 100))).toEqual({ a: 50, c: 50 });
    expect(balancer.pick([])).toBeUndefined();
  });
});

describe('weightedRoundRobin (smooth, as nginx)', () => {
  it('interleaves a heavy replica instead of sending it bursts: 5:1:1 gives a a b a c a a', () => {
    const balancer = weightedRoundRobin<BalancedReplica>();
    const replicas = [replica('a', 5), replica('b', 1), replica('c', 1)];
    expect(picks(() => balancer.pick(replicas), 7).join(' ')).toBe('a a b a c a a');
  });

  it('gives 3:2:1 exactly over every whole cycle', () => {
    const balancer = weightedRoundRobin<BalancedReplica>();
    for (let cycle = 0; cycle < 5; cycle++) expect(tally(picks(() => balancer.pick([a, b, c]), 6))).toEqual({ a: 3, b: 2, c: 1 });
  });

  it('shares by the weights of the replicas still available when one leaves', () => {
    const balancer = weightedRoundRobin<BalancedReplica>();
    picks(() => balancer.pick([a, b, c]), 4);
    expect(tally(picks(() => balancer.pick([a, c]), 400))).toEqual({ a: 300, c: 100 });
  });
});

describe('leastConnections', () => {
  it('picks the replica with the fewest calls in flight', () => {
    const balancer = leastConnections<BalancedReplica>();
    const replicas = [replica('a', 1, 4), replica('b', 1, 1), replica('c', 1, 2)];
    expect(picks(() => balancer.pick(replicas), 5)).toEqual(Array(5).fill('b'));
  });

  it('counts calls per unit of weight', () => {
    const balancer = leastConnections<BalancedReplica>();
    // a: 4 calls on weight 4 (1 each) beats b: 2 calls on weight 1.
    expect(balancer.pick([replica('a', 4, 4), replica('b', 1, 2)])?.id).toBe('a');
  });

  it('rotates among equally loaded replicas', () => {
    const balancer = leastConnections<BalancedReplica>();
    expect(tally(picks(() => balancer.pick([a, b, c]), 30))).toEqual({ a: 10, b: 10, c: 10 });
  });
});

describe('ipHash', () => {
  const ips = Array.from({ length: 3000 }, (_, index) => `10.${index >> 8}.${index & 255}.1`);

  it('sends one client key to one replica, every time', () => {
    const balancer = ipHash([a, b, c]);
    for (const ip of ips.slice(0, 100)) {
      const first = balancer.pick([a, b, c], ip)?.id;
      expect(picks(() => balancer.pick([a, b, c], ip), 5)).toEqual(Array(5).fill(first));
    }
  });

  it('spreads clients roughly by weight', () => {
    const balancer = ipHash([a, b, c]);
    const counts = tally(ips.map((ip) => balancer.pick([a, b, c], ip)!.id));
    expect(counts.a! / ips.length).toBeCloseTo(3 / 6, 1);
    expect(counts.b! / ips.length).toBeCloseTo(2 / 6, 1);
    expect(counts.c! / ips.length).toBeCloseTo(1 / 6, 1);
  });

  it('moves only the clients of a replica that leaves, and brings them back when it returns', () => {
    const balancer = ipHash([a, b, c]);
    const before = ips.map((ip) => balancer.pick([a, b, c], ip)!.id);
    const without = ips.map((ip) => balancer.pick([a, c], ip)!.id);
    ips.forEach((_, index) => {
      if (before[index] !== 'b') expect(without[index]).toBe(before[index]);
      else expect(['a', 'c']).toContain(without[index]);
    });
    expect(ips.map((ip) => balancer.pick([a, b, c], ip)!.id)).toEqual(before);
  });
});

describe('HashRing', () => {
  it('moves about 1/n of the keys when one of n members is removed', () => {
    const members = ['r1', 'r2', 'r3', 'r4'].map((id) => ({ id, weight: 1 }));
    const full = new HashRing(members);
    const keys = Array.from({ length: 4000 }, (_, index) => `client-${index}`);
    const moved = keys.filter((key) => full.lookup(key) !== full.lookup(key, (id) => id !== 'r2')).length;
    expect(moved / keys.length).toBeGreaterThan(0.15);
    expect(moved / keys.length).toBeLessThan(0.35);
  });

  it('finds no owner when every member is refused, and none on an empty ring', () => {
    const ring = new HashRing([{ id: 'r1', weight: 1 }]);
    expect(ring.lookup('key', () => false)).toBeUndefined();
    expect(new HashRing([]).lookup('key')).toBeUndefined();
  });
});

describe('createBalancer', () => {
  it.each(['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash'] as const)('makes a %s balancer', (strategy) => {
    const balancer = createBalancer(strategy, [a, b, c]);
    expect(['a', 'b', 'c']).toContain(balancer.pick([a, b, c], '10.0.0.1')?.id);
    expect(balancer.pick([], '10.0.0.1')).toBeUndefined();
  });
});
