import type { Logger } from '@shopgraph/common';

/** A task the workers run beside their queues, stopped on shutdown before the pools close. */
export interface BackgroundTask {
  stop(): Promise<void>;
}

/** How long a failed run waits before it is tried again. */
export const ERROR_BACKOFF_MS = 1000;

/**
 * Runs `sweep` until stopped, sleeping between runs for as long as each run answers. A run that
 * throws is retried every second: the first failure in a row is logged as an error, the recovery
 * once. `stop` wakes a sleeping loop and resolves once the run in progress, if any, has ended.
 */
export function startSweepLoop(logger: Logger, name: string, sweep: () => Promise<number>): BackgroundTask {
  let stopping = false;
  let wake = () => {};
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    let failures = 0;
    while (!stopping) {
      let waitMs: number;
      try {
        waitMs = await sweep();
        if (failures > 0) logger.info({ failures }, `${name} recovered`);
        failures = 0;
      } catch (error) {
        failures++;
        if (failures === 1) logger.error({ err: error }, `${name} failed: retrying every second until it succeeds`);
        waitMs = ERROR_BACKOFF_MS;
      }
      if (!stopping) await sleep(waitMs);
    }
  })();

  return {
    async stop() {
      stopping = true;
      wake();
      await loop;
    },
  };
}
