import type { CardBehaviour } from './cards.js';

/** A token stands for a card: the simulator keeps how the card behaves, never its number. */
export interface TokenRecord {
  token: string;
  last4: string;
  brand: string;
  behaviour: CardBehaviour;
}

export interface ChargeRecord {
  id: string;
  amount: number;
  currency: string;
  last4: string;
  brand: string;
  idempotencyKey: string;
  refundId: string | null;
  createdAt: string;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

/** What one idempotency key has seen: the request it belongs to and its final answer, once there is one. */
export interface IdempotencyRecord {
  fingerprint: string;
  attempts: number;
  response?: ApiResponse;
}

/**
 * The simulator's state. In memory: a restart forgets everything, which a simulator may.
 * A real store would keep the same shape in a database.
 */
export interface ProviderStore {
  tokens: Map<string, TokenRecord>;
  charges: Map<string, ChargeRecord>;
  idempotency: Map<string, IdempotencyRecord>;
  /** Runs `work` for one idempotency key at a time: a duplicate waits for the first to finish. */
  serialized<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createMemoryStore(): ProviderStore {
  const tails = new Map<string, Promise<unknown>>();
  return {
    tokens: new Map(),
    charges: new Map(),
    idempotency: new Map(),
    serialized(key, work) {
      const run = (tails.get(key) ?? Promise.resolve()).then(work, work);
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      // Forget the chain once nothing is queued behind it, so keys do not pile up.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return run;
    },
  };
}
