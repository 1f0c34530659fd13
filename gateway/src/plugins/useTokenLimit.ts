import type { RequestHandler } from 'express';
import { Lexer, Source, TokenKind } from 'graphql';
import type { PluginWith } from './plugin.js';

export interface TokenLimitOptions {
  maxTokens: number;
  /** Called for each refused operation (metrics). */
  onRejected?: () => void;
}

const VALIDATION_FAILED = 'GRAPHQL_VALIDATION_FAILED';

/** True when `query` has more than `max` tokens; stops reading at `max + 1`. */
function exceedsTokens(query: string, max: number): boolean {
  const lexer = new Lexer(new Source(query));
  try {
    for (let count = 0; lexer.advance().kind !== TokenKind.EOF; ) {
      if (++count > max) return true;
    }
  } catch {
    // A syntax error is not ours to report: Apollo Server answers it as GRAPHQL_PARSE_FAILED.
  }
  return false;
}

/**
 * The token limit, counted before Apollo Server parses anything. graphql-armor's own Apollo
 * token plugin throws from `parsingDidStart`, which Apollo Server answers with HTTP 500 for
 * every over-limit operation and for every plain syntax error as well (graphql-armor issues
 * #571, #751); here an over-limit operation gets 400 and GRAPHQL_VALIDATION_FAILED like the
 * other limits, and a huge document is never parsed at all.
 */
export function useTokenLimit({ maxTokens, onRejected }: TokenLimitOptions): PluginWith<'onParams'> {
  const onParams: RequestHandler = (req, res, next) => {
    const query: unknown = req.method === 'GET' ? req.query.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query !== 'string' || !exceedsTokens(query, maxTokens)) {
      next();
      return;
    }
    onRejected?.();
    res.status(400).json({
      errors: [{ message: `Syntax Error: Token limit of ${maxTokens} exceeded.`, extensions: { code: VALIDATION_FAILED } }],
    });
  };
  return { name: 'token-limit', onParams };
}
