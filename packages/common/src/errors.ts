import { GraphQLError } from 'graphql';
import type { z } from 'zod';

/** The error codes of the contract (README.md, "Errors carry `extensions.code`"), plus the ones the platform adds. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** A dependency (Postgres, Redis) is away for now: the same request may succeed in a moment. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

type Details = Record<string, unknown>;

function typedError(code: ErrorCode, message: string, details: Details = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...details, code } });
}

/** Malformed or out-of-range input. `details` lands in `extensions` (e.g. `{ field: 'quantity' }`). */
export const badUserInput = (message: string, details?: Details) =>
  typedError(ErrorCode.BAD_USER_INPUT, message, details);
export const unauthenticated = (message = 'You must be signed in to do this.') =>
  typedError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You are not allowed to do this.') => typedError(ErrorCode.FORBIDDEN, message);
/** The id names nothing the viewer may see: other users' objects look exactly like missing ones. */
export const notFound = (typename: string, id: string) =>
  typedError(ErrorCode.NOT_FOUND, `${typename} ${id} was not found.`, { typename, id });
/** Well-formed, but the current state forbids it (duplicate, wrong status, reused key). */
export const conflict = (message: string, details?: Details) => typedError(ErrorCode.CONFLICT, message, details);

/** Turns a failed zod parse into one BAD_USER_INPUT error listing every problem. */
export function fromZodError(error: z.ZodError, prefix?: string): GraphQLError {
  const issues = error.issues.map((issue) => ({
    path: [...(prefix ? [prefix] : []), ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return badUserInput(`Invalid input: ${summary}`, { issues });
}

/** Validates `value` against `schema` before anything touches the database. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error, prefix);
  return result.data;
}

/** True for a Postgres unique violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = findPgError(error);
  return pgError?.code === '23505' && (constraint === undefined || pgError.constraint === constraint);
}

/** drizzle wraps driver errors; the Postgres error is somewhere on the `cause` chain. */
function findPgError(error: unknown): { code?: string; constraint?: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current === 'object' && 'code' in current && typeof current.code === 'string') {
      return current as { code?: string; constraint?: string };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The answer while a dependency is away: nothing about which one or why, a code to retry on. */
export const serviceUnavailable = () =>
  typedError(ErrorCode.SERVICE_UNAVAILABLE, 'The service is briefly unavailable; try again in a moment.');

/**
 * SQLSTATEs that say the connection, not the statement, failed: class 08 (connection exception),
 * 57P01-57P03 (the server shut down, crashed or is starting), 53300 (too many connections).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
/** What Node reports when a socket cannot be made or dies. */
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/**
 * What pg and ioredis say, without a code, when a connection ended, could not be made in time or
 * is not there; and Postgres refusing connections to a database (`ALLOW_CONNECTIONS false`, 55000).
 */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^Client has encountered a connection error and is not queryable/,
  /^timeout exceeded when trying to connect/,
  /is not currently accepting connections/,
  /^Connection is closed/,
  /^Reached the max retries per request limit/,
  /^Stream isn't writeable and enableOfflineQueue options is false/,
  /^Command timed out/,
];

/**
 * True when `error` (or one on its `cause` chain, where drizzle puts the driver's error) says a
 * dependency could not be reached — Postgres or Redis restarting, away, refusing connections —
 * rather than that the statement or the input was wrong.
 */
export function isDependencyUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current === 'object') {
      const { code, message } = current as { code?: unknown; message?: unknown };
      if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
      if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
