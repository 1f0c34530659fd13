import { ConfigError } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../env.js';
import { policyFor } from './upstream-env.js';

describe('upstream configuration', () => {
  it('defaults: round robin, one retry within a 20 % budget, dedup on, checks every 5 s', () => {
    const { upstream } = loadConfig({});
    expect(upstream).toEqual({
      defaults: {
        balancer: 'round-robin',
        timeoutMs: 10_000,
        retries: { max: 1, budgetRatio: 0.2, budgetMinPerSecond: 1 },
        breaker: { failureThreshold: 5, openMs: 10_000 },
        ejection: { consecutiveFailures: 3, baseMs: 5000, maxMs: 60_000 },
        healthCheck: { intervalMs: 5000, timeoutMs: 2000 },
        dedupe: true,
      },
      replicas: {},
      dns: {},
      dnsRefreshMs: 5000,
      balancers: {},
      timeoutsMs: {},
    });
  });

  it('reads replicas with optional weights, and a balancer and timeout per subgraph', () => {
    const config = loadConfig({
      SUBGRAPH_REPLICAS_PRODUCTS: 'http://p1:4001/graphql|3, http://p2:4001/graphql|2,http://p3:4001/graphql',
      SUBGRAPH_BALANCER_PRODUCTS: 'weighted-round-robin',
      SUBGRAPH_TIMEOUT_MS_PRODUCTS: '2500',
      SUBGRAPH_BALANCER: 'least-connections',
      SUBGRAPH_DEDUPE: 'false',
    });
    expect(config.upstream.replicas.PRODUCTS).toEqual([
      { url: 'http://p1:4001/graphql', weight: 3 },
      { url: 'http://p2:4001/graphql', weight: 2 },
      { url: 'http://p3:4001/graphql', weight: 1 },
    ]);
    expect(policyFor(config.upstream, 'PRODUCTS')).toMatchObject({ balancer: 'weighted-round-robin', timeoutMs: 2500, dedupe: false });
    expect(policyFor(config.upstream, 'USERS')).toMatchObject({ balancer: 'least-connections', timeoutMs: 10_000 });
  });

  it('reads a discovery URL per subgraph and one refresh interval for all', () => {
    const { upstream } = loadConfig({
      SUBGRAPH_DNS_PRODUCTS: 'http://products-headless.shopgraph.svc.cluster.local:4001/graphql',
      SUBGRAPH_DNS_REFRESH_MS: '2000',
    });
    expect(upstream.dns).toEqual({ PRODUCTS: 'http://products-headless.shopgraph.svc.cluster.local:4001/graphql' });
    expect(upstream.dnsRefreshMs).toBe(2000);
    expect(() => loadConfig({ SUBGRAPH_DNS_USERS: 'users-headless:4002' })).toThrow(/SUBGRAPH_DNS_USERS: must be an http/);
  });

  it('lists every wrong replica list, balancer and timeout with the other problems', () => {
    const load = () =>
      loadConfig({
        MAX_DEPTH: '0',
        SUBGRAPH_REPLICAS_PRODUCTS: 'http://p1/graphql|0,ftp://p2/graphql',
        SUBGRAPH_REPLICAS_USERS: 'http://u1/graphql,http://u1/graphql',
        SUBGRAPH_BALANCER_ORDERS: 'random',
        SUBGRAPH_TIMEOUT_MS_PAYMENTS: 'soon',
        SUBGRAPH_RETRY_BUDGET_RATIO: '2',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/MAX_DEPTH/);
    expect(load).toThrow(/SUBGRAPH_RETRY_BUDGET_RATIO/);
    expect(load).toThrow(/SUBGRAPH_REPLICAS_PRODUCTS: http:\/\/p1\/graphql\|0: the weight must be a whole number from 1 to 100; ftp:\/\/p2\/graphql: expected url or url\|weight/);
    expect(load).toThrow(/SUBGRAPH_REPLICAS_USERS: lists a URL twice/);
    expect(load).toThrow(/SUBGRAPH_BALANCER_ORDERS/);
    expect(load).toThrow(/SUBGRAPH_TIMEOUT_MS_PAYMENTS/);
  });
});
