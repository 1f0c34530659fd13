import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createMemoryStore, type ChargeRecord, type IdempotencyRecord, type ProviderStore, type TokenRecord } from '../../payment-provider/src/store.js';

/*
 * The payment provider's state kept in a journal file, so that a simulator killed with SIGKILL
 * and started again knows every token, charge and idempotency key it answered before, as a real
 * provider's ledger would. The scale test kills the provider under load: with its memory alone,
 * a restart would forget the tokens of payments still PROCESSING and the charges refunds name.
 *
 * Every change to the store is one line, `[map, key, value]`, written before the change is made
 * and before the simulator answers: what a client was told is in the file. A line is one
 * write(2) to a file opened for appending, which a killed process does not leave half done;
 * a torn last line (a crashed machine) is skipped.
 */

type MapName = 'tokens' | 'charges' | 'idempotency';
const mapNames: MapName[] = ['tokens', 'charges', 'idempotency'];

/** A Map that writes each `set` to the journal before it takes effect. */
class JournaledMap<V> extends Map<string, V> {
  journal: ((key: string, value: V) => void) | undefined;

  override set(key: string, value: V): this {
    this.journal?.(key, value);
    return super.set(key, value);
  }
}

export interface JournaledStore extends ProviderStore {
  close(): void;
}

/** Opens the journal at `path` (created when missing) and replays it into a store that keeps writing to it. */
export function openJournaledStore(path: string): JournaledStore {
  const memory = createMemoryStore();
  const maps = {
    tokens: new JournaledMap<TokenRecord>(),
    charges: new JournaledMap<ChargeRecord>(),
    idempotency: new JournaledMap<IdempotencyRecord>(),
  };
  if (existsSync(path)) {
    const lines = readFileSync(path, 'utf8').split('\n');
    // The text after the last newline is empty, or a line whose write did not complete.
    for (const line of lines.slice(0, -1)) {
      const [name, key, value] = JSON.parse(line) as [MapName, string, never];
      if (!mapNames.includes(name)) throw new Error(`${path}: unknown map ${String(name)}`);
      maps[name].set(key, value);
    }
  }
  const fd = openSync(path, 'a');
  for (const name of mapNames) {
    (maps[name] as JournaledMap<unknown>).journal = (key, value) => {
      writeSync(fd, `${JSON.stringify([name, key, value])}\n`);
    };
  }
  return {
    ...maps,
    serialized: memory.serialized,
    close: () => closeSync(fd),
  };
}
