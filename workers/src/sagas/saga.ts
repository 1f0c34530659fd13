import type { Db } from '@shopgraph/common';
import type { PaymentProvider } from '@shopgraph/payment-provider';
import type { EnqueueRequest } from '@shopgraph/queues';
import type { WorkerSubgraph, WorkersConfig } from '../env.js';

/**
 * A checkout saga as data (docs/checkout.md, "Sagas"): named steps in the order they run, each
 * acting on one owner, each optionally naming the compensation that undoes it. `run-saga.ts`
 * executes them; the processors only pick the saga of a job.
 */

/** Who a step acts on: a subgraph, through its own `Db`, or `queues` when it only adds a follow-up job. */
export type StepOwner = WorkerSubgraph | 'queues';

/** What every step may use besides its owner's database. */
export interface SagaServices {
  config: WorkersConfig;
  provider: PaymentProvider;
  /** Adds a follow-up job (deterministic `jobId`, so a re-run saga adds it once). */
  enqueue(request: EnqueueRequest): Promise<void>;
  /** Purges cached responses that show these products; called after a stock change commits. */
  purgeProducts(productIds: readonly string[]): Promise<void>;
  /**
   * Purges the cached copies of an order (its customer's orders page, its payment); called after
   * a change commits that a later step would make visible on a read the caches do not answer.
   */
  purgeOrder(orderId: string): Promise<void>;
  /** Hands a PAID order to the settler, which commits its held stock with others' (`settler.ts`); nothing to await. */
  settle(orderId: string): void;
}

/**
 * A step gets its owner's database and no other: no step writes two subgraphs, and no
 * transaction spans two. It may call several of that owner's service functions (a group of
 * actions on one subgraph); how many transactions those take is the owner's business.
 */
export type ToolsOf<O extends StepOwner> = O extends WorkerSubgraph ? SagaServices & { db: Db } : SagaServices;

/** The saga goes on to the next step, with `add` merged into its state. */
export interface Next<A> {
  readonly then: 'next';
  readonly add: A;
}
/** The saga ends here with `result`, nothing undone (e.g. a stale job: nothing to do). */
export interface Done {
  readonly then: 'done';
  readonly result: unknown;
}
/** The saga is refused (e.g. the order was cancelled meanwhile): the steps before this one are compensated, then it ends with `result`. */
export interface Undo {
  readonly then: 'undo';
  readonly result: unknown;
}
export type StepOutcome<A> = Next<A> | Done | Undo;

export const next = <A extends object>(add: A): Next<A> => ({ then: 'next', add });
export const done = (result?: unknown): Done => ({ then: 'done', result });
export const undo = (result: unknown): Undo => ({ then: 'undo', result });

/** A step that always goes on: every compensation is one, and some serve as plain steps too. */
export interface ContinuingStep<S, O extends StepOwner, A extends object> {
  readonly name: string;
  readonly owner: O;
  readonly run: (state: S, tools: ToolsOf<O>) => Promise<Next<A>>;
}
/** Declares a continuing step, its tools typed by its owner. */
export const continuingStep = <S, O extends StepOwner, A extends object>(step: ContinuingStep<S, O, A>) => step;

/**
 * Undoes a step. It runs with the state the saga had when it was refused, or — for a job that
 * undoes a whole saga, like `release-stock` — with that job's payload, so it reads only what
 * both hold. It cannot refuse.
 */
export interface Compensation<S> {
  readonly name: string;
  readonly owner: StepOwner;
  // A property, not a method, so that its state parameter is checked (contravariantly).
  readonly run: (state: S, tools: never) => Promise<Next<object>>;
}

export interface SagaStep<S, O extends StepOwner, A extends object> {
  readonly name: string;
  readonly owner: O;
  readonly compensation?: Compensation<S & A>;
  readonly run: (state: S, tools: ToolsOf<O>) => Promise<StepOutcome<A>>;
}

/** A step as the executor and the docs see it: its state typed by the builder that accepted it. */
export interface DeclaredStep {
  readonly name: string;
  readonly owner: StepOwner;
  readonly compensation?: Compensation<never>;
  readonly run: (state: never, tools: never) => Promise<StepOutcome<object>>;
}

/**
 * `Input` is the job payload the saga starts from; `UndoInput` what a job that undoes the
 * whole saga carries (never: no such job).
 */
export interface Saga<Input, UndoInput = never> {
  readonly name: string;
  readonly steps: readonly DeclaredStep[];
  /** The result when every step went on; a step that ends the saga gives its own. */
  readonly result: (state: never) => unknown;
  /** Runs when the job failed for good (dead-lettered), so the order does not hang. */
  readonly deadLettered?: Saga<Input>;
  /** Never set: it carries the payload types, so a runner accepts only this saga's payloads. */
  readonly payloads?: (input: Input, undoInput: UndoInput) => void;
}

interface SagaBuilder<Input, UndoInput, S> {
  step<O extends StepOwner, A extends object>(step: SagaStep<S, O, A> & { compensation?: Compensation<UndoInput> }): SagaBuilder<Input, UndoInput, S & A>;
  build(options?: { result?: (state: S) => unknown; deadLettered?: Saga<Input> }): Saga<Input, UndoInput>;
}

function builder<Input, UndoInput, S>(name: string, steps: readonly DeclaredStep[]): SagaBuilder<Input, UndoInput, S> {
  return {
    step: (step) => builder(name, [...steps, step as unknown as DeclaredStep]),
    build: (options = {}) => ({
      name,
      steps,
      result: (options.result ?? (() => undefined)) as (state: never) => unknown,
      ...(options.deadLettered ? { deadLettered: options.deadLettered } : {}),
    }),
  };
}

/** Declares a saga step by step; each step's state is what the payload and the steps before it hold. */
export const saga = <Input extends object, UndoInput = never>(name: string): SagaBuilder<Input, UndoInput, Input> => builder(name, []);
