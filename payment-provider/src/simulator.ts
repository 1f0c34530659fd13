import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCard } from './cards.js';
import type { ApiResponse, ChargeRecord, ProviderStore } from './store.js';

const newId = (kind: 'tok' | 'ch' | 're') => `${kind}_${randomBytes(12).toString('hex')}`;

const error = (status: number, code: string, message: string, type = 'invalid_request_error'): ApiResponse => ({
  status,
  body: { error: { type, code, message } },
});

const chargeBody = (charge: ChargeRecord) => ({
  id: charge.id,
  object: 'charge',
  amount: charge.amount,
  currency: charge.currency,
  status: 'succeeded',
  last4: charge.last4,
  brand: charge.brand,
  idempotency_key: charge.idempotencyKey,
  refunded: charge.refundId !== null,
  created: charge.createdAt,
});

export interface ChargeRequest {
  token: string;
  amount: number;
  currency: string;
}

/** How one request ended: final answers are replayed for the same key, transient ones are not. */
interface Outcome {
  response: ApiResponse;
  final: boolean;
}

export interface SimulatorOptions {
  /** How long each token, charge and refund takes, like a real provider's round trip. */
  latencyMs: number;
}

/**
 * The provider's behaviour, Stripe-like: the same idempotency key with the same request gets
 * the same stored answer and never a second effect; with a different request, 409.
 * Transient failures (5xx) are not stored, so the caller's retry with the key is a new attempt.
 */
export function createSimulator(store: ProviderStore, { latencyMs }: SimulatorOptions) {
  async function idempotent(scope: string, key: string, request: object, run: (attempt: number) => Outcome): Promise<ApiResponse & { replayed: boolean }> {
    const fingerprint = JSON.stringify(request);
    return store.serialized(`${scope}:${key}`, async () => {
      const record = store.idempotency.get(`${scope}:${key}`);
      if (record && record.fingerprint !== fingerprint) {
        return { ...error(409, 'idempotency_key_reused', 'This idempotency key was used with different parameters.'), replayed: false };
      }
      if (record?.response) return { ...record.response, replayed: true };
      const attempts = (record?.attempts ?? 0) + 1;
      // The work takes time while the key is held: a duplicate arriving meanwhile waits for
      // this answer instead of charging again.
      await sleep(latencyMs);
      const outcome = run(attempts);
      store.idempotency.set(`${scope}:${key}`, { fingerprint, attempts, ...(outcome.final ? { response: outcome.response } : {}) });
      return { ...outcome.response, replayed: false };
    });
  }

  return {
    async tokenize(card: string): Promise<ApiResponse> {
      await sleep(latencyMs);
      const parsed = parseCard(card);
      if (!parsed) return error(400, 'invalid_card', 'The card number is not a valid card number.', 'card_error');
      const token = newId('tok');
      store.tokens.set(token, { token, ...parsed });
      return { status: 200, body: { token, last4: parsed.last4, brand: parsed.brand } };
    },

    charge(request: ChargeRequest, idempotencyKey: string) {
      return idempotent('charges', idempotencyKey, request, (attempt) => {
        const card = store.tokens.get(request.token);
        if (!card) return { response: error(400, 'resource_missing', 'No such token.'), final: true };
        switch (card.behaviour) {
          case 'card_declined':
            return { response: error(402, 'card_declined', 'Your card was declined.', 'card_error'), final: true };
          case 'insufficient_funds':
            return { response: error(402, 'insufficient_funds', 'Your card has insufficient funds.', 'card_error'), final: true };
          case 'processing_error_twice':
            if (attempt <= 2) {
              return { response: error(500, 'processing_error', 'An error occurred while processing the card.', 'api_error'), final: false };
            }
            break;
          case 'succeeds':
            break;
        }
        const charge: ChargeRecord = {
          id: newId('ch'),
          amount: request.amount,
          currency: request.currency,
          last4: card.last4,
          brand: card.brand,
          idempotencyKey,
          refundId: null,
          createdAt: new Date().toISOString(),
        };
        store.charges.set(charge.id, charge);
        return { response: { status: 200, body: chargeBody(charge) }, final: true };
      });
    },

    refund(chargeId: string, idempotencyKey: string) {
      return idempotent('refunds', idempotencyKey, { charge: chargeId }, () => {
        const charge = store.charges.get(chargeId);
        if (!charge) return { response: error(400, 'resource_missing', 'No such charge.'), final: true };
        if (charge.refundId) {
          return { response: error(400, 'charge_already_refunded', `Charge ${chargeId} has already been refunded.`), final: true };
        }
        // Written back through the store (not changed in place), so a store that persists keeps it.
        const refunded = { ...charge, refundId: newId('re') };
        store.charges.set(chargeId, refunded);
        const body = { id: refunded.refundId, object: 'refund', charge: charge.id, amount: charge.amount, currency: charge.currency, status: 'succeeded' };
        return { response: { status: 200, body }, final: true };
      });
    },

    listCharges(idempotencyKey?: string) {
      const charges = [...store.charges.values()].filter((charge) => idempotencyKey === undefined || charge.idempotencyKey === idempotencyKey);
      return { object: 'list', data: charges.map(chargeBody) };
    },
  };
}

export type Simulator = ReturnType<typeof createSimulator>;
