import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parsePageArgs } from './pagination.js';

const id = randomUUID();
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

describe('cursors', () => {
  it('decodes what it encoded', () => {
    const position = { createdAt: new Date('2026-11-25T12:00:00.123Z'), id };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each([
    ['a date past what a Date holds', `+275760-09-13T00:00:00.001Z|${id}`],
    ['the last date a Date holds, past what Postgres reads', `+275760-09-13T00:00:00.000Z|${id}`],
    ['the year 200000', `+200000-01-01T00:00:00.000Z|${id}`],
    ['the year 0', `0000-01-01T00:00:00.000Z|${id}`],
    ['a year before the common era', `-010000-01-01T00:00:00.000Z|${id}`],
    ['a date written otherwise than encodeCursor writes it', `1|${id}`],
    ['a date with an offset', `2026-01-01T00:00:00+02:00|${id}`],
    ['no id', '2026-01-01T00:00:00.000Z|'],
    ['a NUL after the id', `2026-01-01T00:00:00.000Z|${id}\u0000`],
    ['no separator', 'garbage'],
  ])('refuses %s as BAD_USER_INPUT', (_what, text) => {
    expect(() => decodeCursor(cursorOf(text))).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }));
  });

  it('refuses a page size outside 1..100 as BAD_USER_INPUT', () => {
    for (const first of [0, -1, 101, 1.5, 1e20]) {
      expect(() => parsePageArgs({ first })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
  });
});
