import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { conflict, ErrorCode, isDependencyUnavailable } from './errors.js';
import { createLogger } from './logger.js';
import { maskUnexpectedErrors } from './subgraph-server.js';

/** A driver error as pg and Node make them: a message and, often, a code. */
const driverError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
/** As drizzle wraps it: the driver's error is the cause. */
const wrapped = (cause: Error) => new Error('Failed query: select 1', { cause });

describe('isDependencyUnavailable', () => {
  it('recognises Postgres and Redis going away, wrapped or not', () => {
    for (const error of [
      driverError('terminating connection due to administrator command', '57P01'),
      driverError('the database system is starting up', '57P03'),
      driverError('connection failure', '08006'),
      driverError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      driverError('database "shop" is not currently accepting connections', '55000'),
      driverError('Connection terminated unexpectedly'),
      driverError('timeout exceeded when trying to connect'),
      driverError('Client has encountered a connection error and is not queryable'),
      driverError('Connection is closed.'),
      driverError('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.'),
    ]) {
      expect(isDependencyUnavailable(error), error.message).toBe(true);
      expect(isDependencyUnavailable(wrapped(error)), error.message).toBe(true);
    }
  });

  it('leaves statement and input errors alone', () => {
    for (const error of [
      driverError('duplicate key value violates unique constraint "products_sku"', '23505'),
      driverError('syntax error at or near "selec"', '42601'),
      driverError('cannot drop the currently open database', '55006'),
      conflict('Order is not awaiting payment.'),
      new TypeError('Cannot read properties of undefined'),
    ]) {
      expect(isDependencyUnavailable(wrapped(error)), error.message).toBe(false);
    }
  });
});

describe('maskUnexpectedErrors', () => {
  const mask = maskUnexpectedErrors(createLogger('test', 'silent'));
  const asResolverError = (error: Error) => new GraphQLError(error.message, { path: ['placeOrder'], originalError: error });

  it('answers SERVICE_UNAVAILABLE, without the driver message, when a dependency is away', () => {
    const error = asResolverError(wrapped(driverError('terminating connection due to administrator command', '57P01')));
    expect(mask({ message: error.message, path: ['placeOrder'] }, error)).toEqual({
      message: 'The service is briefly unavailable; try again in a moment.',
      path: ['placeOrder'],
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
    });
  });

  it('still masks anything else unexpected as INTERNAL_SERVER_ERROR', () => {
    const error = asResolverError(new TypeError('Cannot read properties of undefined'));
    expect(mask({ message: error.message, path: ['placeOrder'] }, error)).toMatchObject({ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
  });
});
