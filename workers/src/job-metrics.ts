import { Counter, Histogram, type Registry } from 'prom-client';

/** How each attempt of a job ended: done, failed with a retry to come, or failed for good (dead-lettered). */
export type AttemptOutcome = 'completed' | 'retrying' | 'exhausted';

export interface JobMetrics {
  attemptFinished(queue: string, name: string, outcome: AttemptOutcome, seconds: number): void;
  exhaustedHookFailed(queue: string, name: string): void;
}

/** Per-attempt counters and durations on `/metrics`; job counts by state come from `queue-metrics`. */
export function createJobMetrics(registry: Registry): JobMetrics {
  const attempts = new Counter({
    name: 'shopgraph_job_attempts_total',
    help: 'Job attempts by queue, job name and outcome (completed, retrying, exhausted)',
    labelNames: ['queue', 'name', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'shopgraph_job_duration_seconds',
    help: 'How long one attempt of a job ran',
    labelNames: ['queue', 'name'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const hookFailures = new Counter({
    name: 'shopgraph_job_exhausted_hook_failures_total',
    help: 'onExhausted hooks that threw: the job is dead-lettered but its owner was not told',
    labelNames: ['queue', 'name'],
    registers: [registry],
  });
  return {
    attemptFinished(queue, name, outcome, seconds) {
      attempts.inc({ queue, name, outcome });
      duration.observe({ queue, name }, seconds);
    },
    exhaustedHookFailed(queue, name) {
      hookFailures.inc({ queue, name });
    },
  };
}
