import { DependencyError } from './deps.js';
import { ConfigError } from './env.js';
import type { Logger } from './logger.js';

/**
 * Runs a process's start-up. Expected start-up failures (bad config, a dependency that is
 * down) print their one-line remedy and exit 1 — no stack trace for a person to wade through.
 */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof DependencyError) {
      console.error(error.message);
    } else {
      console.error(error);
    }
    process.exit(1);
  });
}

/** Runs `close` once on SIGINT/SIGTERM, then exits; a second signal exits at once. */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
