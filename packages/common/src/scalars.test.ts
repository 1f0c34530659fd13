import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DateTime } from './scalars.js';

const badUserInput = expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } });

describe('DateTime', () => {
  it('reads an ISO 8601 string from variables and literals', () => {
    expect(DateTime.parseValue('2026-11-25T12:00:00.000Z')).toEqual(new Date('2026-11-25T12:00:00.000Z'));
    expect(DateTime.parseLiteral({ kind: Kind.STRING, value: '0001-01-01T00:00:00.000Z' })).toEqual(new Date('0001-01-01T00:00:00.000Z'));
  });

  it('refuses, as BAD_USER_INPUT, what is not a date or not one Postgres stores', () => {
    for (const value of ['yesterday', '+275760-09-13T00:00:00.000Z', '+010000-01-01T00:00:00.000Z', '0000-12-31T23:59:59.999Z', '-000001-01-01T00:00:00.000Z', 42]) {
      expect(() => DateTime.parseValue(value)).toThrow(badUserInput);
    }
    expect(() => DateTime.parseLiteral({ kind: Kind.INT, value: '1' })).toThrow(badUserInput);
  });
});
