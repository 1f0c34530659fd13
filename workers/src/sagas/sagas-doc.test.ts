import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { chargeSaga } from './charge.js';
import { expireSaga } from './expire.js';
import { refundSaga } from './refund.js';
import { reserveSaga } from './reserve.js';
import type { Saga } from './saga.js';

/*
 * docs/checkout.md ("Sagas") shows each saga as a table: its steps in order, each step's owner
 * and compensation, then its dead-letter steps. The declarations in this folder are what runs;
 * the tables must say the same.
 */

const sagas: Saga<never, never>[] = [reserveSaga, chargeSaga, refundSaga, expireSaga];
const doc = readFileSync(new URL('../../../docs/checkout.md', import.meta.url), 'utf8');

/** The table rows a saga's declaration gives, cells as docs/checkout.md writes them. */
function rowsOf(saga: Saga<never, never>): string[][] {
  const rows = (steps: Saga<never, never>['steps'], label: (position: number) => string) =>
    steps.map((step, index) => [
      label(index + 1),
      `\`${step.name}\``,
      step.owner,
      step.compensation ? `\`${step.compensation.name}\` (${step.compensation.owner})` : '—',
    ]);
  return [...rows(saga.steps, String), ...rows(saga.deadLettered?.steps ?? [], (position) => `dead-lettered ${position}`)];
}

/** The sections headed "### Saga `<name>`" and the rows of the first table in each, header and rule left out. */
function tablesOfDoc(): Map<string, string[][]> {
  const tables = new Map<string, string[][]>();
  const sections = doc.split(/^### Saga `([^`]+)`$/m);
  for (let index = 1; index < sections.length; index += 2) {
    const lines = sections[index + 1]!.split('\n').map((line) => line.trim());
    const first = lines.findIndex((line) => line.startsWith('|'));
    const end = lines.findIndex((line, at) => at > first && !line.startsWith('|'));
    const table = first < 0 ? [] : lines.slice(first, end < 0 ? undefined : end);
    const cells = table.slice(2).map((line) => line.slice(1, -1).split('|').map((cell) => cell.trim()));
    tables.set(sections[index]!, cells);
  }
  return tables;
}

it('docs/checkout.md has a table for each saga and no other', () => {
  expect([...tablesOfDoc().keys()]).toEqual(sagas.map((saga) => saga.name));
});

it.each(sagas.map((saga) => [saga.name, saga] as const))('the %s saga reads in docs/checkout.md as it is declared', (name, saga) => {
  expect(tablesOfDoc().get(name)).toEqual(rowsOf(saga));
});
