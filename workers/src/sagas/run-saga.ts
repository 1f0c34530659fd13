import type { Db } from '@shopgraph/common';
import { workerSubgraphs, type WorkerSubgraph } from '../env.js';
import type { Compensation, DeclaredStep, Next, Saga, SagaServices, StepOutcome, StepOwner } from './saga.js';

/** What the executor hands out: every subgraph's database, of which each step gets its owner's. */
export interface SagaRuntime extends SagaServices {
  db(subgraph: WorkerSubgraph): Db;
}

/** Runs the sagas of `sagas/` for the processors. */
export interface SagaRunner {
  /**
   * Runs the steps in order. A step that throws is not compensated: the job fails and BullMQ
   * runs the whole saga again (every step is idempotent, docs/checkout.md). A step that
   * refuses (`undo`) has the compensations of the steps before it run, in step order.
   */
  run<Input, UndoInput>(saga: Saga<Input, UndoInput>, input: Input): Promise<unknown>;
  /** Runs every step's compensation, in step order (a cancel); answers what they report. */
  undo<Input, UndoInput>(saga: Saga<Input, UndoInput>, input: UndoInput): Promise<Record<string, unknown>>;
  /** Runs the saga's dead-letter steps, if it has any; answers what they report (undefined without any). */
  runDeadLettered<Input, UndoInput>(saga: Saga<Input, UndoInput>, input: Input): Promise<unknown>;
}

/** A declared step with its types erased: the builder checked each step's state when the saga was declared. */
type Runnable<Outcome> = { owner: StepOwner; run: (state: object, tools: object) => Promise<Outcome> };

export function createSagaRunner(runtime: SagaRuntime): SagaRunner {
  const { config, provider, enqueue, purgeProducts, purgeOrder, settle } = runtime;
  const services: SagaServices = { config, provider, enqueue, purgeProducts, purgeOrder, settle };
  // Each subgraph's pool is opened once, when the processors are wired, as it always was.
  const tools = Object.fromEntries([
    ...workerSubgraphs.map((subgraph) => [subgraph, { ...services, db: runtime.db(subgraph) }] as const),
    ['queues', services] as const,
  ]) as Record<StepOwner, object>;

  const runStep = (step: DeclaredStep, state: object) => (step as unknown as Runnable<StepOutcome<object>>).run(state, tools[step.owner]);
  const runCompensation = (step: Compensation<never>, state: object) => (step as unknown as Runnable<Next<object>>).run(state, tools[step.owner]);

  async function compensate(steps: readonly DeclaredStep[], state: object): Promise<Record<string, unknown>> {
    let reported: Record<string, unknown> = {};
    for (const { compensation } of steps) {
      if (!compensation) continue;
      const outcome = await runCompensation(compensation, state);
      reported = { ...reported, ...outcome.add };
    }
    return reported;
  }

  async function run(saga: Pick<Saga<unknown>, 'steps' | 'result'>, input: unknown): Promise<unknown> {
    let state = { ...(input as object) };
    for (const [index, step] of saga.steps.entries()) {
      const outcome = await runStep(step, state);
      if (outcome.then === 'next') {
        state = { ...state, ...outcome.add };
        continue;
      }
      if (outcome.then === 'undo') await compensate(saga.steps.slice(0, index), state);
      return outcome.result;
    }
    return (saga.result as (state: object) => unknown)(state);
  }

  return {
    run: (saga, input) => run(saga, input),
    undo: (saga, input) => compensate(saga.steps, { ...(input as object) }),
    async runDeadLettered(saga, input) {
      return saga.deadLettered ? run(saga.deadLettered, input) : undefined;
    },
  };
}
