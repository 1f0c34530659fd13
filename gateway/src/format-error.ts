import { ErrorCode, type Logger } from '@shopgraph/common';
import { maskUnexpectedErrors } from '@shopgraph/common/subgraph';
import type { GraphQLFormattedError } from 'graphql';

/** What the gateway calls a subgraph error that came without a code of its own. */
const DOWNSTREAM_SERVICE_ERROR = 'DOWNSTREAM_SERVICE_ERROR';

/**
 * The gateway's `formatError`. Subgraph errors keep their message and `extensions.code`
 * (NOT_FOUND, FORBIDDEN, CONFLICT … reach the client unchanged); everything unexpected, including
 * a subgraph error without a code, becomes "Internal server error" with the cause only in the
 * log. Which subgraph answered (`serviceName`) is the platform's business, not the client's.
 */
export function formatGatewayError(logger: Logger) {
  const mask = maskUnexpectedErrors(logger);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { serviceName: _serviceName, ...extensions } = formatted.extensions ?? {};
    const code = extensions.code === DOWNSTREAM_SERVICE_ERROR ? ErrorCode.INTERNAL_SERVER_ERROR : extensions.code;
    return mask({ ...formatted, extensions: { ...extensions, code } }, error);
  };
}
