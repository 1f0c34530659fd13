import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** The first and last instants both a JS Date and a Postgres timestamp hold (years 1 to 9999). */
const EARLIEST = new Date('0001-01-01T00:00:00.000Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();

/** True for a valid date Postgres can store and compare (NaN is not): a client's year 0 or 200000 is not one. */
export function isStorableDate(date: Date): boolean {
  const time = date.getTime();
  return time >= EARLIEST && time <= LATEST;
}

function toDate(value: unknown): Date {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (!isStorableDate(date)) {
    throw new GraphQLError('DateTime must be an ISO 8601 string between the years 1 and 9999.', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return date;
}

/** ISO 8601 timestamps in UTC, e.g. `2026-11-25T12:00:00.000Z`. */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO 8601 timestamp in UTC.',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: toDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string.', { extensions: { code: 'BAD_USER_INPUT' } });
    return toDate(ast.value);
  },
});
