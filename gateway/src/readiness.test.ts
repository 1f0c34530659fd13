import { describe, expect, it } from 'vitest';
import { GatewayReadiness } from './readiness.js';

describe('GatewayReadiness', () => {
  it('is not ready before a supergraph is loaded', async () => {
    const readiness = new GatewayReadiness();
    expect(Object.keys(readiness.checks)).toEqual(['supergraph']);
    await expect(readiness.checks.supergraph!()).rejects.toThrow('no supergraph loaded yet');
  });

  it('checks exactly the subgraphs of the supergraph in service, at the URLs the gateway calls', async () => {
    const readiness = new GatewayReadiness();
    readiness.supergraphLoaded([{ name: 'a', url: 'http://a/graphql' }, { name: 'b', url: 'http://b/graphql' }], (s) => s.url);
    expect(Object.keys(readiness.checks)).toEqual(['supergraph', 'subgraph a', 'subgraph b']);
    await expect(readiness.checks.supergraph!()).resolves.toBeUndefined();

    readiness.supergraphLoaded([{ name: 'c', url: 'http://c/graphql' }], (s) => s.url);
    expect(Object.keys(readiness.checks)).toEqual(['supergraph', 'subgraph c']);
  });
});
