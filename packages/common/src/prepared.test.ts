import { describe, expect, it } from 'vitest';
import type { Db } from './db.js';
import { prepared } from './prepared.js';

describe('prepared', () => {
  it('builds a statement once per pool and name, and again for another pool', () => {
    const built: string[] = [];
    const build = (name: string) => () => ({ prepare: (as: string) => (built.push(`${name} as ${as}`), { name, as }) });
    // Only the identity of a pool matters here: it keys the statements built over it.
    const [one, other] = [{}, {}] as Db[];
    const first = prepared(one!, 'a', build('a'));
    expect(prepared(one!, 'a', build('a'))).toBe(first);
    expect(prepared(one!, 'b', build('b'))).not.toBe(first);
    expect(prepared(other!, 'a', build('a'))).not.toBe(first);
    expect(built).toEqual(['a as a', 'b as b', 'a as a']);
  });
});
