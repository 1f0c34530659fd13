import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../../payment-provider/src/simulator.js';
import { openJournaledStore, type JournaledStore } from './provider-journal.js';

const dir = mkdtempSync(join(tmpdir(), 'shopgraph-provider-journal-'));
const opened: JournaledStore[] = [];
const open = (path: string) => {
  const store = openJournaledStore(path);
  opened.push(store);
  return { store, simulator: createSimulator(store, { latencyMs: 0 }) };
};

afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

describe("the scale test's journaled payment provider", () => {
  it('knows after a restart every token, charge, refund and idempotency key it answered before', async () => {
    const path = join(dir, 'restart.jsonl');
    const before = open(path).simulator;
    const { token } = (await before.tokenize('4242424242424242')).body as { token: string };
    const charged = await before.charge({ token, amount: 1500, currency: 'EUR' }, 'payment-1');
    const refundedCharge = await before.charge({ token, amount: 700, currency: 'EUR' }, 'payment-2');
    const refund = await before.refund((refundedCharge.body as { id: string }).id, 'refund-payment-2');
    expect([charged.status, refundedCharge.status, refund.status]).toEqual([200, 200, 200]);

    // A new process on the same file: no memory shared with the first.
    const after = open(path).simulator;
    const replayed = await after.charge({ token, amount: 1500, currency: 'EUR' }, 'payment-1');
    expect(replayed).toEqual({ ...charged, replayed: true });
    expect((await after.refund((refundedCharge.body as { id: string }).id, 'refund-payment-2')).replayed).toBe(true);
    expect(after.listCharges().data.map((charge) => [charge.idempotency_key, charge.refunded])).toEqual([
      ['payment-1', false],
      ['payment-2', true],
    ]);
    // The token still stands for the card.
    expect((await after.charge({ token, amount: 300, currency: 'EUR' }, 'payment-3')).status).toBe(200);
    expect(after.listCharges().data).toHaveLength(3);
  });

  it('skips a last line whose write did not complete', async () => {
    const path = join(dir, 'torn.jsonl');
    const before = open(path).simulator;
    const { token } = (await before.tokenize('4242424242424242')).body as { token: string };
    appendFileSync(path, '["charges","ch_torn",{"id":"ch_');
    const after = open(path).simulator;
    expect((await after.charge({ token, amount: 100, currency: 'EUR' }, 'payment-1')).status).toBe(200);
    expect(after.listCharges().data).toHaveLength(1);
  });
});
