import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import {
  adminEnv,
  baseEnv,
  ConfigError,
  DEMO_PASSWORD,
  DEV_ADMIN_PASSWORD,
  DEV_GATEWAY_SECRET,
  DEV_JWT_SECRET,
  DEV_PAYMENT_PROVIDER_KEY,
  gatewaySecretEnv,
  jwtEnv,
  parseEnv,
  paymentProviderKeyEnv,
  toAdminConfig,
  toBaseConfig,
  weakPasswordProblem,
} from './env.js';

const everySecret = z.object({ ...baseEnv.shape, ...jwtEnv.shape, ...gatewaySecretEnv.shape, ...adminEnv.shape });
const strong = {
  JWT_SECRET: 'a'.repeat(16) + 'b'.repeat(16) + '-jwt',
  GATEWAY_SECRET: 'c'.repeat(16) + 'd'.repeat(16) + '-gateway',
  ADMIN_PASSWORD: 'Kettle-Umbrella-Quartz-81',
};
const production = (overrides: Record<string, string | undefined>) => ({ NODE_ENV: 'production', ...strong, ...overrides });

/** The problem lines of the ConfigError `load` throws. */
function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n').slice(1);
  }
  throw new Error('expected a ConfigError');
}

describe('production refuses development secrets and weak passwords', () => {
  it('accepts real secrets and a strong password', () => {
    expect(parseEnv(everySecret, production({}))).toMatchObject(strong);
  });

  it('refuses the published development secrets, one line each', () => {
    const problems = problemsOf(() => parseEnv(everySecret, production({ JWT_SECRET: DEV_JWT_SECRET, GATEWAY_SECRET: DEV_GATEWAY_SECRET })));
    expect(problems).toEqual([
      "  - JWT_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)",
      "  - GATEWAY_SECRET: a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)",
    ]);
  });

  it("refuses the Kubernetes dev overlay's secrets too", () => {
    const problems = problemsOf(() =>
      parseEnv(everySecret, production({ JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef', GATEWAY_SECRET: 'dev-only-gateway-secret-change-me-0123456789abcdef' })),
    );
    expect(problems.map((line) => line.split(':')[0])).toEqual(['  - JWT_SECRET', '  - GATEWAY_SECRET']);
  });

  it('names every missing secret and password at once', () => {
    const problems = problemsOf(() => parseEnv(everySecret, { NODE_ENV: 'production' }));
    expect(problems).toEqual([
      '  - JWT_SECRET: required when NODE_ENV=production (generate one: openssl rand -hex 32)',
      '  - GATEWAY_SECRET: required when NODE_ENV=production (generate one: openssl rand -hex 32)',
      '  - ADMIN_PASSWORD: required when NODE_ENV=production',
    ]);
  });

  it('refuses one secret used for both purposes', () => {
    const problems = problemsOf(() => parseEnv(everySecret, production({ GATEWAY_SECRET: strong.JWT_SECRET })));
    expect(problems).toEqual(['  - GATEWAY_SECRET: must differ from JWT_SECRET']);
  });

  it.each([
    [DEV_ADMIN_PASSWORD, 'the default admin password'],
    ['password', 'shorter than 12 characters'],
    [DEMO_PASSWORD, "a password published in Shopgraph's source"],
    ['only-11-chr', 'shorter than 12 characters'],
    ['Password1234', 'a common password'],
  ])('refuses ADMIN_PASSWORD=%s as %s', (password, problem) => {
    expect(problemsOf(() => parseEnv(everySecret, production({ ADMIN_PASSWORD: password })))).toEqual([
      `  - ADMIN_PASSWORD: ${problem}, refused when NODE_ENV=production`,
    ]);
  });

  it('says one thing per variable: a too-short secret is refused for its length only', () => {
    const problems = problemsOf(() => parseEnv(everySecret, production({ JWT_SECRET: 'short' })));
    expect(problems).toEqual(['  - JWT_SECRET: must be at least 32 characters']);
  });

  it('checks only what the schema reads: a process without an admin is not asked for its password', () => {
    const gatewayLike = z.object({ ...baseEnv.shape, ...jwtEnv.shape, ...gatewaySecretEnv.shape });
    expect(parseEnv(gatewayLike, { NODE_ENV: 'production', JWT_SECRET: strong.JWT_SECRET, GATEWAY_SECRET: strong.GATEWAY_SECRET })).toMatchObject({
      NODE_ENV: 'production',
    });
    // …and the secrets it does not read are not checked either, even when they are the published ones.
    const withoutJwt = z.object({ ...baseEnv.shape, ...gatewaySecretEnv.shape });
    expect(parseEnv(withoutJwt, { NODE_ENV: 'production', GATEWAY_SECRET: strong.GATEWAY_SECRET, JWT_SECRET: DEV_JWT_SECRET })).not.toHaveProperty('JWT_SECRET');
  });

  it('lists the production problems with the other problems of the start', () => {
    const schema = everySecret.extend({ PORT: z.coerce.number().int() });
    const problems = problemsOf(() => parseEnv(schema, production({ PORT: 'eighty', JWT_SECRET: DEV_JWT_SECRET })));
    expect(problems.map((line) => line.split(':')[0])).toEqual(['  - PORT', '  - JWT_SECRET']);
  });
});

describe('outside production', () => {
  it('falls back to the development secrets and the default admin, warning about each', () => {
    const env = parseEnv(everySecret, {});
    expect(env).toMatchObject({ JWT_SECRET: DEV_JWT_SECRET, GATEWAY_SECRET: DEV_GATEWAY_SECRET, ADMIN_PASSWORD: DEV_ADMIN_PASSWORD });
    expect(toBaseConfig(env).warnings).toEqual([
      'JWT_SECRET is the development secret: set your own before anyone else can reach this platform.',
      'GATEWAY_SECRET is the development secret: set your own before anyone else can reach this platform.',
      'ADMIN_PASSWORD is the default: change it before anyone else can reach this platform.',
    ]);
  });

  it('warns about nothing a process does not read, nor about real secrets', () => {
    expect(toBaseConfig(parseEnv(baseEnv, {})).warnings).toEqual([]);
    expect(toBaseConfig(parseEnv(everySecret, strong)).warnings).toEqual([]);
  });

  it('lower-cases the admin email', () => {
    expect(toAdminConfig(parseEnv(adminEnv, { ADMIN_EMAIL: 'Boss@Example.com' })).email).toBe('boss@example.com');
  });
});

describe('the payment provider key (the simulator, payments and the workers)', () => {
  const providerKey = z.object({ ...baseEnv.shape, ...paymentProviderKeyEnv.shape });
  const key = 'sk_live_' + 'e'.repeat(32);

  it('is the published development key outside production, with a warning', () => {
    const env = parseEnv(providerKey, {});
    expect(env.PAYMENT_PROVIDER_KEY).toBe(DEV_PAYMENT_PROVIDER_KEY);
    expect(toBaseConfig(env).warnings).toEqual([
      'PAYMENT_PROVIDER_KEY is the development key: set your own before anyone else can reach this platform.',
    ]);
    expect(toBaseConfig(parseEnv(providerKey, { PAYMENT_PROVIDER_KEY: key })).warnings).toEqual([]);
  });

  it.each([
    ['missing', undefined, 'required when NODE_ENV=production (generate one: openssl rand -hex 32)'],
    ['the development key', DEV_PAYMENT_PROVIDER_KEY, "a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)"],
    ["the Kubernetes dev overlay's key", 'dev-only-payment-provider-key-change-me-0123456789abcdef', "a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)"],
    ['short', 'sk_live_short', 'must be at least 32 characters'],
  ])('is refused in production when %s, in one line', (_case, value, problem) => {
    expect(problemsOf(() => parseEnv(providerKey, { NODE_ENV: 'production', PAYMENT_PROVIDER_KEY: value }))).toEqual([`  - PAYMENT_PROVIDER_KEY: ${problem}`]);
  });

  it('is accepted in production when real, and asked of no process that does not call the provider', () => {
    expect(parseEnv(providerKey, { NODE_ENV: 'production', PAYMENT_PROVIDER_KEY: key }).PAYMENT_PROVIDER_KEY).toBe(key);
    expect(parseEnv(everySecret, production({}))).not.toHaveProperty('PAYMENT_PROVIDER_KEY');
  });
});

describe('weakPasswordProblem', () => {
  it('knows nothing against a long, uncommon password', () => {
    expect(weakPasswordProblem('Kettle-Umbrella-Quartz-81')).toBeUndefined();
  });

  it('compares common passwords ignoring case', () => {
    expect(weakPasswordProblem('ADMINISTRATOR')).toBe('a common password');
  });
});
