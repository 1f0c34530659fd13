import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { passesLuhn } from './cards.js';
import { DEV_PAYMENT_PROVIDER_KEY } from '@shopgraph/common';
import { createHttpPaymentProvider, ProviderAuthenticationError, TransientProviderError, type PaymentProvider } from './client.js';
import { loadConfig } from './env.js';
import { createPaymentProviderServer, type RunningProvider } from './server.js';

const CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  processingErrorTwice: '4000000000000119',
};

// Everything the simulator logs, at the most verbose level, to check no card number leaks.
const logLines: string[] = [];
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

/** The simulator's secret key in this file: random, as an operator's would be. */
const API_KEY = `sk_test_${randomUUID().replaceAll('-', '')}`;
const authorization = `Bearer ${API_KEY}`;

let server: RunningProvider;
let baseUrl: string;
let provider: PaymentProvider;

/** `auth` is the Authorization header to send (null: none). */
const post = async (path: string, body: unknown, idempotencyKey?: string, auth: string | null = authorization) => {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth === null ? {} : { authorization: auth }),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true', body: (await response.json()) as any };
};

const listCharges = async (query = '', auth: string | null = authorization) => {
  const response = await fetch(`${baseUrl}/v1/charges${query}`, { headers: auth === null ? {} : { authorization: auth } });
  return { status: response.status, body: (await response.json()) as any };
};

const chargesFor = async (idempotencyKey: string) =>
  ((await listCharges(`?idempotency_key=${encodeURIComponent(idempotencyKey)}`)).body as { data: unknown[] }).data;

async function tokenFor(card: string): Promise<string> {
  const result = await provider.tokenize(card);
  if (result.status !== 'tokenized') throw new Error(`not tokenized: ${result.reason}`);
  return result.token;
}

beforeAll(async () => {
  // Latency keeps each charge in flight long enough for parallel duplicates to overlap.
  server = createPaymentProviderServer({ ...loadConfig({ NODE_ENV: 'test', PAYMENT_PROVIDER_KEY: API_KEY }), latencyMs: 20 }, logger);
  baseUrl = await server.listen(0, '127.0.0.1');
  provider = createHttpPaymentProvider(baseUrl, { timeoutMs: 5000, apiKey: API_KEY });
});

afterAll(async () => {
  await server?.close();
});

describe('configuration', () => {
  it('defaults to port 4005 and 30 ms of latency', () => {
    expect(loadConfig({})).toMatchObject({ port: 4005, latencyMs: 30 });
    expect(loadConfig({ PAYMENT_PROVIDER_PORT: '0', PAYMENT_PROVIDER_LATENCY_MS: '0' })).toMatchObject({ port: 0, latencyMs: 0 });
    expect(() => loadConfig({ PAYMENT_PROVIDER_LATENCY_MS: '-1' })).toThrow(/PAYMENT_PROVIDER_LATENCY_MS/);
  });

  it('requires the published development key outside production only, with a warning', () => {
    expect(loadConfig({})).toMatchObject({
      apiKey: DEV_PAYMENT_PROVIDER_KEY,
      warnings: ['PAYMENT_PROVIDER_KEY is the development key: set your own before anyone else can reach this platform.'],
    });
    expect(loadConfig({ NODE_ENV: 'production', PAYMENT_PROVIDER_KEY: API_KEY })).toMatchObject({ apiKey: API_KEY, warnings: [] });
  });

  it.each([
    ['no key', {}, 'required when NODE_ENV=production'],
    ['the development key', { PAYMENT_PROVIDER_KEY: DEV_PAYMENT_PROVIDER_KEY }, "a development secret published in Shopgraph's source"],
    ['a short key', { PAYMENT_PROVIDER_KEY: 'sk_live_0123456789' }, 'must be at least 32 characters'],
  ])('refuses to start in production with %s, in one line', (_case, env, problem) => {
    expect(() => loadConfig({ NODE_ENV: 'production', ...env })).toThrow(new RegExp(`^Invalid configuration:\\n {2}- PAYMENT_PROVIDER_KEY: ${problem}[^\\n]*$`));
  });
});

describe('the API key', () => {
  const refused: [string, string | null, 'api_key_missing' | 'invalid_api_key'][] = [
    ['no Authorization header', null, 'api_key_missing'],
    ['a wrong key of the same length', `Bearer sk_test_${'0'.repeat(API_KEY.length - 'sk_test_'.length)}`, 'invalid_api_key'],
    ['a key of another length', `Bearer ${API_KEY}x`, 'invalid_api_key'],
    ['a prefix of the key', `Bearer ${API_KEY.slice(0, -1)}`, 'invalid_api_key'],
    ['the development key', `Bearer ${DEV_PAYMENT_PROVIDER_KEY}`, 'invalid_api_key'],
    ['the key in basic auth', `Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`, 'api_key_missing'],
    ['an empty bearer', 'Bearer ', 'api_key_missing'],
  ];

  it.each(refused)('refuses %s on every route with 401 in the provider\'s error shape', async (_case, auth, code) => {
    const token = await tokenFor(CARDS.succeeds);
    const key = randomUUID();
    const charged = await provider.charge({ token, amount: 2500, currency: 'EUR', idempotencyKey: key });
    if (charged.status !== 'succeeded') throw new Error('charge failed');
    const answers = {
      tokens: await post('/v1/tokens', { card: CARDS.succeeds }, undefined, auth),
      charges: await post('/v1/charges', { token, amount: 100, currency: 'EUR' }, randomUUID(), auth),
      list: await listCharges('', auth),
      listByKey: await listCharges(`?idempotency_key=${key}`, auth),
      refunds: await post('/v1/refunds', { charge: charged.chargeId }, randomUUID(), auth),
      unknownRoute: await post('/v1/customers', {}, undefined, auth),
    };
    for (const [route, answer] of Object.entries(answers)) {
      expect(answer.status, route).toBe(401);
      expect(answer.body, route).toEqual({
        error: { type: 'invalid_request_error', code, message: expect.any(String) },
      });
    }
    // Nothing was charged or refunded: the one charge of the key stands, unrefunded.
    expect(await chargesFor(key)).toEqual([expect.objectContaining({ refunded: false })]);
  });

  it('answers the right key, in any case of the scheme, and keeps /health, /ready and /metrics open', async () => {
    expect((await post('/v1/tokens', { card: CARDS.succeeds }, undefined, `bearer ${API_KEY}`)).status).toBe(200);
    expect((await listCharges()).status).toBe(200);
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${baseUrl}${path}`)).status, path).toBe(200);
  });

  // The Authorization header itself is redacted from every log line by createLogger (packages/common/src/logger.ts).
  it('never echoes the key it refused', async () => {
    const answer = await post('/v1/tokens', { card: CARDS.succeeds }, undefined, 'Bearer sk_live_attacker_guess_0123456789abcdef');
    expect(answer.status).toBe(401);
    expect(JSON.stringify(answer.body)).not.toContain('attacker_guess');
  });

  it('is a ProviderAuthenticationError through the adapter, neither a declined card nor a transient error', async () => {
    const wrongKey = createHttpPaymentProvider(baseUrl, { timeoutMs: 5000, apiKey: DEV_PAYMENT_PROVIDER_KEY });
    await expect(wrongKey.tokenize(CARDS.succeeds)).rejects.toBeInstanceOf(ProviderAuthenticationError);
    const token = await tokenFor(CARDS.succeeds);
    const key = randomUUID();
    await expect(wrongKey.charge({ token, amount: 100, currency: 'EUR', idempotencyKey: key })).rejects.toBeInstanceOf(ProviderAuthenticationError);
    await expect(wrongKey.refund({ chargeId: 'ch_any', idempotencyKey: randomUUID() })).rejects.toBeInstanceOf(ProviderAuthenticationError);
    expect(await chargesFor(key)).toEqual([]);
  });
});

describe('tokens', () => {
  it('checks the Luhn digit', () => {
    for (const card of Object.values(CARDS)) expect(passesLuhn(card)).toBe(true);
    expect(passesLuhn('4242424242424241')).toBe(false);
    expect(passesLuhn('79927398713')).toBe(true);
  });

  it('exchanges a valid card for a token and its last four digits', async () => {
    const result = await post('/v1/tokens', { card: '4242 4242 4242 4242' });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ token: expect.stringMatching(/^tok_\w+$/), last4: '4242', brand: 'visa' });
    expect(await provider.tokenize('5555555555554444')).toMatchObject({ status: 'tokenized', last4: '4444', brand: 'mastercard' });
  });

  it('refuses numbers that fail Luhn or have 12–19 digits no more', async () => {
    for (const card of ['4242424242424241', '42424242424', '42424242424242424242', '4242abcd42424242', '']) {
      const result = await post('/v1/tokens', { card });
      expect(result.status, card).toBe(400);
      expect(result.body.error.code, card).toBe('invalid_card');
    }
    expect(await provider.tokenize('4242424242424241')).toEqual({ status: 'invalid', reason: 'invalid_card' });
    expect((await post('/v1/tokens', { number: CARDS.succeeds })).status).toBe(400);
    expect((await post('/v1/tokens', '{not json')).body.error.code).toBe('invalid_request');
  });
});

describe('charges with the test cards', () => {
  it('charges 4242424242424242', async () => {
    const key = randomUUID();
    const result = await provider.charge({ token: await tokenFor(CARDS.succeeds), amount: 1999, currency: 'EUR', idempotencyKey: key });
    expect(result).toEqual({ status: 'succeeded', chargeId: expect.stringMatching(/^ch_\w+$/) });
    expect(await chargesFor(key)).toEqual([expect.objectContaining({ amount: 1999, currency: 'EUR', last4: '4242', status: 'succeeded' })]);
  });

  it('declines 4000000000000002 with card_declined and 4000000000009995 with insufficient_funds, with 402', async () => {
    for (const [card, code] of [
      [CARDS.declined, 'card_declined'],
      [CARDS.insufficientFunds, 'insufficient_funds'],
    ] as const) {
      const token = await tokenFor(card);
      const raw = await post('/v1/charges', { token, amount: 500, currency: 'EUR' }, randomUUID());
      expect(raw.status).toBe(402);
      expect(raw.body.error.code).toBe(code);
      const key = randomUUID();
      expect(await provider.charge({ token, amount: 500, currency: 'EUR', idempotencyKey: key })).toEqual({ status: 'failed', reason: code });
      expect(await chargesFor(key)).toEqual([]);
    }
  });

  it('fails 4000000000000119 with processing_error twice per key, then charges it once', async () => {
    const token = await tokenFor(CARDS.processingErrorTwice);
    const key = randomUUID();
    const first = await post('/v1/charges', { token, amount: 700, currency: 'EUR' }, key);
    const second = await post('/v1/charges', { token, amount: 700, currency: 'EUR' }, key);
    expect([first.status, second.status]).toEqual([500, 500]);
    expect(first.body.error.code).toBe('processing_error');
    const third = await post('/v1/charges', { token, amount: 700, currency: 'EUR' }, key);
    expect(third.status).toBe(200);
    expect(await chargesFor(key)).toHaveLength(1);

    // Through the adapter: two transient errors to retry, then success.
    const adapterKey = randomUUID();
    const request = { token, amount: 700, currency: 'EUR', idempotencyKey: adapterKey };
    await expect(provider.charge(request)).rejects.toBeInstanceOf(TransientProviderError);
    await expect(provider.charge(request)).rejects.toMatchObject({ status: 500 });
    expect(await provider.charge(request)).toMatchObject({ status: 'succeeded' });
    expect(await chargesFor(adapterKey)).toHaveLength(1);
  });

  it('answers an unknown token with 400', async () => {
    const raw = await post('/v1/charges', { token: 'tok_unknown', amount: 100, currency: 'EUR' }, randomUUID());
    expect(raw.status).toBe(400);
    expect(raw.body.error.code).toBe('resource_missing');
    expect(await provider.charge({ token: 'tok_unknown', amount: 100, currency: 'EUR', idempotencyKey: randomUUID() })).toEqual({
      status: 'failed',
      reason: 'resource_missing',
    });
  });

  it('refuses malformed charges and charges without an Idempotency-Key', async () => {
    const token = await tokenFor(CARDS.succeeds);
    expect((await post('/v1/charges', { token, amount: 100, currency: 'EUR' })).status).toBe(400);
    for (const body of [
      { token, amount: 0, currency: 'EUR' },
      { token, amount: 1.5, currency: 'EUR' },
      { token, amount: 100, currency: 'EURO' },
      { amount: 100, currency: 'EUR' },
    ]) {
      expect((await post('/v1/charges', body, randomUUID())).status).toBe(400);
    }
  });
});

describe('idempotency keys', () => {
  it('answers the same key and body with the stored charge, never a second one', async () => {
    const token = await tokenFor(CARDS.succeeds);
    const key = randomUUID();
    const first = await post('/v1/charges', { token, amount: 1200, currency: 'EUR' }, key);
    const again = await post('/v1/charges', { token, amount: 1200, currency: 'EUR' }, key);
    expect(again).toEqual({ ...first, replayed: true });
    expect(first.replayed).toBe(false);
    expect(await chargesFor(key)).toHaveLength(1);
  });

  it('charges once for many parallel requests with one key', async () => {
    const token = await tokenFor(CARDS.succeeds);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => provider.charge({ token, amount: 3300, currency: 'EUR', idempotencyKey: key })),
    );
    const chargeIds = new Set(results.map((result) => (result.status === 'succeeded' ? result.chargeId : result.reason)));
    expect(chargeIds.size).toBe(1);
    expect(await chargesFor(key)).toHaveLength(1);
  });

  it('answers the same key with a different body with 409 and charges nothing more', async () => {
    const token = await tokenFor(CARDS.succeeds);
    const key = randomUUID();
    expect((await post('/v1/charges', { token, amount: 100, currency: 'EUR' }, key)).status).toBe(200);
    const reused = await post('/v1/charges', { token, amount: 101, currency: 'EUR' }, key);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await chargesFor(key)).toHaveLength(1);
  });
});

describe('refunds', () => {
  it('refunds a charge once, whatever the key', async () => {
    const charged = await provider.charge({ token: await tokenFor(CARDS.succeeds), amount: 4500, currency: 'EUR', idempotencyKey: randomUUID() });
    if (charged.status !== 'succeeded') throw new Error('charge failed');
    const key = `refund-${randomUUID()}`;
    const refunded = await provider.refund({ chargeId: charged.chargeId, idempotencyKey: key });
    expect(refunded).toEqual({ status: 'refunded', refundId: expect.stringMatching(/^re_\w+$/) });
    expect(await provider.refund({ chargeId: charged.chargeId, idempotencyKey: key })).toEqual(refunded);
    expect(await provider.refund({ chargeId: charged.chargeId, idempotencyKey: randomUUID() })).toEqual({ status: 'already_refunded' });
    const raw = await post('/v1/refunds', { charge: charged.chargeId }, randomUUID());
    expect(raw.body.error.code).toBe('charge_already_refunded');
    expect((await post('/v1/refunds', { charge: charged.chargeId })).status).toBe(400);
    await expect(provider.refund({ chargeId: 'ch_unknown', idempotencyKey: randomUUID() })).rejects.toThrow(/resource_missing/);
  });
});

describe('the process shell', () => {
  it('answers /health, /ready and /metrics', async () => {
    expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/ready`)).status).toBe(200);
    expect(await (await fetch(`${baseUrl}/metrics`)).text()).toMatch(/payment_provider_charge_requests_total\{status="200",replayed="false"/);
  });

  it('treats an unreachable provider as a transient error', async () => {
    const unreachable = createHttpPaymentProvider('http://127.0.0.1:9', { timeoutMs: 1000, apiKey: API_KEY });
    await expect(unreachable.charge({ token: 'tok_x', amount: 1, currency: 'EUR', idempotencyKey: 'k' })).rejects.toBeInstanceOf(
      TransientProviderError,
    );
  });

  it('never logs a card number', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const card of [...Object.values(CARDS), '4242 4242 4242 4242', '5555555555554444']) {
      expect(logLines.join('\n')).not.toContain(card);
    }
  });
});
