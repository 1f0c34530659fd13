import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { ConfigError } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../env.js';

const base = { NODE_ENV: 'test', DATABASE_URL: 'postgres://postgres@db.example:5432/shop' };

describe('response cache configuration', () => {
  it('is on by default: LRU of 10,000, 10 s stale, keys named after the database', () => {
    expect(loadConfig(base).responseCache).toEqual({
      l1Policy: 'lru',
      l1MaxEntries: 10_000,
      l1Enabled: true,
      keyPrefix: defaultCacheKeyPrefix(base.DATABASE_URL),
      swrSeconds: 10,
    });
  });

  it('takes every knob, and turns off', () => {
    const env = { ...base, CACHE_L1_POLICY: 'lfu', CACHE_L1_MAX_ENTRIES: '50', CACHE_L1: 'off', CACHE_KEY_PREFIX: 'shop:', CACHE_SWR_SECONDS: '0' };
    expect(loadConfig(env).responseCache).toEqual({ l1Policy: 'lfu', l1MaxEntries: 50, l1Enabled: false, keyPrefix: 'shop:', swrSeconds: 0 });
    expect(loadConfig({ ...base, RESPONSE_CACHE: 'off' }).responseCache).toBeNull();
    expect(loadConfig({ ...base, RESPONSE_CACHE: 'on' }).responseCache).not.toBeNull();
  });

  it('refuses values it cannot use, naming each', () => {
    const attempt = () => loadConfig({ ...base, CACHE_L1_POLICY: 'fifo', CACHE_L1_MAX_ENTRIES: '0', RESPONSE_CACHE: 'maybe' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/CACHE_L1_POLICY[\s\S]*CACHE_L1_MAX_ENTRIES|CACHE_L1_MAX_ENTRIES[\s\S]*CACHE_L1_POLICY/);
    expect(attempt).toThrow(/RESPONSE_CACHE/);
  });
});
