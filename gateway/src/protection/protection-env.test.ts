import { ConfigError } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../env.js';

describe('protection configuration', () => {
  it('rate limits by default except under NODE_ENV=test, where they are opt-in', () => {
    expect(loadConfig({}).protection.rateLimit).toEqual({
      enabled: true,
      perIp: { points: 600, durationS: 60 },
      perUser: { points: 300, durationS: 60 },
      redisPrefix: 'shopgraph:rate-limit:',
      leasePercent: 1,
    });
    expect(loadConfig({ RATE_LIMIT_LEASE_PERCENT: '0' }).protection.rateLimit.leasePercent).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test' }).protection.rateLimit.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', RATE_LIMIT_ENABLED: 'true' }).protection.rateLimit.enabled).toBe(true);
    expect(loadConfig({ RATE_LIMIT_ENABLED: 'false' }).protection.rateLimit.enabled).toBe(false);
  });

  it('reads persisted operations, APQ and the trusted proxies', () => {
    const config = loadConfig({ PERSISTED_OPERATIONS_PATH: '/etc/shopgraph/operations.json', PERSISTED_ONLY: 'true', APQ_TTL_S: '60' });
    expect(config.protection.persistedOperations).toEqual({ path: '/etc/shopgraph/operations.json', only: true });
    expect(config.protection.apq).toEqual({ ttlS: 60, redisPrefix: 'shopgraph:apq:' });
    expect(loadConfig({}).protection.persistedOperations).toBeUndefined();
    expect(loadConfig({}).protection.trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'false' }).protection.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).protection.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).protection.trustProxy).toBe('loopback, 10.0.0.0/8');
  });

  it('refuses PERSISTED_ONLY without a list of operations, and a malformed switch', () => {
    expect(() => loadConfig({ PERSISTED_ONLY: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ PERSISTED_ONLY: 'true' })).toThrow(/PERSISTED_ONLY: needs PERSISTED_OPERATIONS_PATH/);
    expect(() => loadConfig({ RATE_LIMIT_ENABLED: 'sometimes' })).toThrow(/RATE_LIMIT_ENABLED/);
    expect(() => loadConfig({ RATE_LIMIT_LEASE_PERCENT: '50' })).toThrow(/RATE_LIMIT_LEASE_PERCENT/);
  });
});
