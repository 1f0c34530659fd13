import type { Db } from '@shopgraph/common';
import type { PaymentProvider } from '@shopgraph/payment-provider';
import { describe, expect, it } from 'vitest';
import type { WorkersConfig } from '../env.js';
import { createSagaRunner } from './run-saga.js';
import { continuingStep, done, next, saga, undo, type StepOwner } from './saga.js';

/** A runner whose databases are labels: each step writes down which one it was handed. */
function recordingRunner() {
  const calls: string[] = [];
  const sagas = createSagaRunner({
    config: {} as WorkersConfig,
    provider: {} as PaymentProvider,
    enqueue: async () => undefined,
    purgeProducts: async () => undefined,
    purgeOrder: async () => undefined,
    settle: () => undefined,
    db: (subgraph) => ({ label: subgraph }) as unknown as Db,
  });
  const dbLabel = (tools: object) => ('db' in tools ? (tools.db as unknown as { label: string }).label : 'no db');
  return { calls, sagas, dbLabel };
}

describe('the saga executor', () => {
  const { calls, sagas, dbLabel } = recordingRunner();
  const record = (name: string, owner: StepOwner) =>
    continuingStep({ name, owner, run: async ({ orderId }: { orderId: string }, tools) => (calls.push(`${name}(${orderId}) on ${dbLabel(tools)}`), next({ [name]: true })) });
  const undoHold = record('undo-hold', 'products');
  const undoRecord = record('undo-record', 'payments');

  /** hold → record → decide: `decide` goes on, ends, refuses or throws as `verdict` says. */
  const example = saga<{ orderId: string; verdict: 'next' | 'done' | 'undo' | 'throw' }, { orderId: string }>('example')
    .step({ name: 'hold', owner: 'products', compensation: undoHold, run: async (_state, tools) => (calls.push(`hold on ${dbLabel(tools)}`), next({ held: 2 })) })
    .step({ name: 'record', owner: 'payments', compensation: undoRecord, run: async ({ held }, tools) => (calls.push(`record ${held} on ${dbLabel(tools)}`), next({})) })
    .step({
      name: 'decide',
      owner: 'orders',
      compensation: record('undo-decide', 'orders'),
      run: async ({ verdict, held }, tools) => {
        calls.push(`decide on ${dbLabel(tools)}`);
        if (verdict === 'throw') throw new Error('orders is away');
        return verdict === 'next' ? next({ decided: true }) : verdict === 'done' ? done({ stale: held }) : undo({ refused: held });
      },
    })
    .step({ name: 'follow-up', owner: 'queues', run: async ({ decided }, tools) => (calls.push(`follow-up ${decided} on ${dbLabel(tools)}`), next({})) })
    .build({ result: ({ held, decided }) => ({ held, decided }), deadLettered: saga<{ orderId: string }>('dead').step(record('give-up', 'orders')).build() });

  const run = async (verdict: 'next' | 'done' | 'undo' | 'throw') => {
    calls.length = 0;
    return sagas.run(example, { orderId: 'o1', verdict });
  };

  it('runs the steps in order, each with its owner database and the state the steps before it added', async () => {
    expect(await run('next')).toEqual({ held: 2, decided: true });
    expect(calls).toEqual(['hold on products', 'record 2 on payments', 'decide on orders', 'follow-up true on no db']);
  });

  it('stops at a step that ends the saga, with its result and nothing undone', async () => {
    expect(await run('done')).toEqual({ stale: 2 });
    expect(calls).toEqual(['hold on products', 'record 2 on payments', 'decide on orders']);
  });

  it('on a refusal, runs the compensations of the steps before the refusing one, in step order, then ends', async () => {
    expect(await run('undo')).toEqual({ refused: 2 });
    expect(calls).toEqual(['hold on products', 'record 2 on payments', 'decide on orders', 'undo-hold(o1) on products', 'undo-record(o1) on payments']);
  });

  it('compensates nothing when a step throws: the job fails and runs the whole saga again', async () => {
    await expect(run('throw')).rejects.toThrow('orders is away');
    expect(calls).toEqual(['hold on products', 'record 2 on payments', 'decide on orders']);
  });

  it('undoes a whole saga from a payload alone: every compensation in step order, answering what they report', async () => {
    calls.length = 0;
    expect(await sagas.undo(example, { orderId: 'o2' })).toEqual({ 'undo-hold': true, 'undo-record': true, 'undo-decide': true });
    expect(calls).toEqual(['undo-hold(o2) on products', 'undo-record(o2) on payments', 'undo-decide(o2) on orders']);
  });

  it('runs the dead-letter steps of a saga that has them, and nothing for one that has none', async () => {
    calls.length = 0;
    await sagas.runDeadLettered(example, { orderId: 'o3', verdict: 'next' });
    await sagas.runDeadLettered(saga<{ orderId: string }>('plain').step(record('never', 'orders')).build(), { orderId: 'o4' });
    expect(calls).toEqual(['give-up(o3) on orders']);
  });
});
