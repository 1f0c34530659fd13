import { createHash } from 'node:crypto';

/** Points on the ring per unit of weight: enough for shares within a few percent of the weights. */
const POINTS_PER_WEIGHT = 160;

const hash32 = (text: string) => createHash('md5').update(text).digest().readUInt32BE(0);

/**
 * A consistent-hash ring (as in ketama): each member owns `POINTS_PER_WEIGHT × weight` points,
 * a key belongs to the first point clockwise from its own hash. Removing a member moves only
 * the keys that member owned.
 */
export class HashRing {
  private readonly points: number[] = [];
  private readonly owners: string[] = [];
  private readonly memberCount: number;

  constructor(members: readonly { id: string; weight: number }[]) {
    const entries: [point: number, owner: string][] = [];
    for (const { id, weight } of members) {
      for (let index = 0; index < POINTS_PER_WEIGHT * weight; index++) entries.push([hash32(`${id}#${index}`), id]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    for (const [point, owner] of entries) {
      this.points.push(point);
      this.owners.push(owner);
    }
    this.memberCount = members.length;
  }

  /** The owner of `key`: the first member clockwise that `accept`s, or undefined if none does. */
  lookup(key: string, accept: (id: string) => boolean = () => true): string | undefined {
    const total = this.points.length;
    if (total === 0) return undefined;
    const start = this.firstPointAtOrAfter(hash32(key));
    const refused = new Set<string>();
    for (let step = 0; step < total && refused.size < this.memberCount; step++) {
      const owner = this.owners[(start + step) % total]!;
      if (refused.has(owner)) continue;
      if (accept(owner)) return owner;
      refused.add(owner);
    }
    return undefined;
  }

  private firstPointAtOrAfter(value: number): number {
    let low = 0;
    let high = this.points.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.points[middle]! < value) low = middle + 1;
      else high = middle;
    }
    // Past the last point the ring wraps to the first.
    return low % this.points.length;
  }
}
