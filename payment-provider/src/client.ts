/**
 * The payment provider as payments sees it. `createHttpPaymentProvider` talks to the bundled
 * simulator (or anything speaking its Stripe-like API); a real provider's adapter would
 * implement the same interface.
 */
export interface PaymentProvider {
  /** Exchanges a card number for a token; the number goes no further than this call. */
  tokenize(card: string): Promise<TokenizeResult>;
  /** Charges at most once per `idempotencyKey`, however often it is called with it. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds a charge at most once per `idempotencyKey`. */
  refund(request: RefundRequest): Promise<RefundResult>;
}

export type TokenizeResult =
  | { status: 'tokenized'; token: string; last4: string; brand: string }
  /** Not a card number (length or checksum): the customer's input, not the provider, is wrong. */
  | { status: 'invalid'; reason: string };

export interface ChargeRequest {
  token: string;
  /** Minor units (cents). */
  amount: number;
  /** ISO 4217. */
  currency: string;
  idempotencyKey: string;
}

export type ChargeResult =
  | { status: 'succeeded'; chargeId: string }
  /** A permanent refusal (`card_declined`, `insufficient_funds`, …): retrying will not help. */
  | { status: 'failed'; reason: string };

export interface RefundRequest {
  chargeId: string;
  idempotencyKey: string;
}

export type RefundResult =
  | { status: 'refunded'; refundId: string }
  /** Refunded earlier under another key: the money is back either way. */
  | { status: 'already_refunded' };

/**
 * The provider could not answer (network error, timeout, 5xx, 429): the outcome is unknown, and
 * the same call with the same idempotency key may be retried safely.
 */
export class TransientProviderError extends Error {
  override name = 'TransientProviderError';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The provider refused the API key (401): PAYMENT_PROVIDER_KEY is wrong where this process runs.
 * Neither the customer's fault nor transient: nothing is charged or refunded until it is fixed.
 */
export class ProviderAuthenticationError extends Error {
  override name = 'ProviderAuthenticationError';
}

export interface HttpPaymentProviderOptions {
  /** Per request; a timeout is a transient error. */
  timeoutMs: number;
  /** The provider's secret API key, sent on every request as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
}

interface ProviderErrorBody {
  error?: { code?: string };
}

interface Answer {
  status: number;
  body: Record<string, unknown> & ProviderErrorBody;
}

const isTransient = (status: number) => status >= 500 || status === 429 || status === 408;

/** The adapter for the simulator's HTTP API (`POST /v1/tokens`, `/v1/charges`, `/v1/refunds`). */
export function createHttpPaymentProvider(baseUrl: string, { timeoutMs, apiKey }: HttpPaymentProviderOptions): PaymentProvider {
  const authorization = `Bearer ${apiKey}`;

  async function post(path: string, body: object, idempotencyKey?: string): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json', ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      // The message names the path only: the body may hold a card number.
      throw new TransientProviderError(`payment provider unreachable on ${path}: ${(error as Error).name}`, undefined, { cause: error });
    }
    if (response.status === 401) {
      await response.body?.cancel();
      throw new ProviderAuthenticationError(`payment provider refused the API key (PAYMENT_PROVIDER_KEY) on ${path}`);
    }
    if (isTransient(response.status)) {
      await response.body?.cancel();
      throw new TransientProviderError(`payment provider answered ${response.status} on ${path}`, response.status);
    }
    try {
      return { status: response.status, body: (await response.json()) as Answer['body'] };
    } catch (error) {
      throw new TransientProviderError(`payment provider sent an unreadable answer on ${path}`, response.status, { cause: error });
    }
  }

  const reasonOf = (answer: Answer) => answer.body.error?.code ?? `http_${answer.status}`;

  return {
    async tokenize(card) {
      const answer = await post('/v1/tokens', { card });
      if (answer.status === 200) {
        const { token, last4, brand } = answer.body as { token: string; last4: string; brand: string };
        return { status: 'tokenized', token, last4, brand };
      }
      return { status: 'invalid', reason: reasonOf(answer) };
    },

    async charge({ token, amount, currency, idempotencyKey }) {
      const answer = await post('/v1/charges', { token, amount, currency }, idempotencyKey);
      if (answer.status === 200) return { status: 'succeeded', chargeId: answer.body.id as string };
      // 402 is a decline; any other 4xx (unknown token, key reused) will not change on a retry either.
      return { status: 'failed', reason: reasonOf(answer) };
    },

    async refund({ chargeId, idempotencyKey }) {
      const answer = await post('/v1/refunds', { charge: chargeId }, idempotencyKey);
      if (answer.status === 200) return { status: 'refunded', refundId: answer.body.id as string };
      if (answer.body.error?.code === 'charge_already_refunded') return { status: 'already_refunded' };
      throw new Error(`payment provider refused the refund of ${chargeId}: ${reasonOf(answer)}`);
    },
  };
}
