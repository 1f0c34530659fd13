import { CombinedGraphQLErrors, ServerError, ServerParseError } from '@apollo/client/errors';

/** True when the gateway refused the bearer token itself: the session is over. */
export const isSessionRefused = (error: unknown) => ServerError.is(error) && error.statusCode === 401;

/**
 * True when trying the same request again may work (the shop unreachable or failing); not
 * for answers that will not change, such as NOT_FOUND or BAD_USER_INPUT.
 */
export function isRetryable(error: unknown): boolean {
  if (!CombinedGraphQLErrors.is(error)) return !isSessionRefused(error);
  const code = errorCode(error);
  return code === undefined || code === 'INTERNAL_SERVER_ERROR';
}

/** The `extensions.code` of the first GraphQL error, if the error carries one. */
export function errorCode(error: unknown): string | undefined {
  if (!CombinedGraphQLErrors.is(error)) return undefined;
  const code = error.errors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What went wrong, in words a shopper understands. The server's messages for input and state
 * problems are written for people ("An account with this email already exists."), so those
 * are shown as they are; other codes get a sentence of ours.
 */
export function describeError(error: unknown): string {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const message = first?.message ?? '';
    switch (errorCode(error)) {
      case 'UNAUTHENTICATED':
        return message || 'Please log in to do this.';
      case 'FORBIDDEN':
        return 'Your account is not allowed to do this.';
      case 'NOT_FOUND':
        return 'We could not find it: it may have been removed, or it belongs to someone else.';
      case 'BAD_USER_INPUT':
        return `Please check what you entered. ${message}`;
      case 'CONFLICT':
        return message || 'This cannot be done in the current state. Reload and try again.';
      case 'GRAPHQL_VALIDATION_FAILED':
      case 'GRAPHQL_PARSE_FAILED':
        return 'The shop refused this request as too large or malformed. Reload the page and try again.';
      default:
        return 'Something went wrong on our side. Please try again in a moment.';
    }
  }
  if (ServerError.is(error)) {
    // The gateway refuses a bearer token that is invalid or has expired with a plain 401.
    if (error.statusCode === 401) return 'Your session has ended. Please log in again.';
    if (error.statusCode === 429) return 'Too many requests at once. Wait a moment and try again.';
    if (error.statusCode >= 502 && error.statusCode <= 504) return 'The shop is not reachable right now. Please try again in a moment.';
    return `The shop answered with an error (HTTP ${error.statusCode}). Please try again in a moment.`;
  }
  if (ServerParseError.is(error)) return 'The shop sent an answer we could not read. Please reload the page.';
  // fetch rejects with a TypeError when the network or the server is down.
  if (error instanceof TypeError) return 'Cannot reach the shop. Check your connection and try again.';
  return 'Something unexpected went wrong. Please reload the page.';
}
