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

/**
 * Runs `close` once on SIGINT, SIGTERM or SIGHUP, then exits; a second signal exits at once.
 * A process started with an IPC channel (`npm start` starts each one so, scripts/platform.ts)
 * also closes when the channel does: its parent asked it to stop, or died. The channel is not a
 * signal, so a child that got the terminal's Ctrl-C and then its parent's request still drains.
 */
export function onShutdown(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const shutDown = (reason: NodeJS.Signals | 'parent') => {
    closing = true;
    logger.info(reason === 'parent' ? { parent: 'gone or stopping' } : { signal: reason }, 'shutting down');
    close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    shutDown(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  if (process.channel) {
    // The channel must not keep a process alive that has nothing else to do.
    process.channel.unref();
    process.once('disconnect', () => {
      if (!closing) shutDown('parent');
    });
  } else if (process.send) {
    // Started with a channel that closed while this process was starting.
    shutDown('parent');
  }
}
