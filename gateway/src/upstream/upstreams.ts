import type { Logger } from '@shopgraph/common';
import type { Registry } from 'prom-client';
import { policyFor, type UpstreamConfig } from './upstream-env.js';
import { createUpstreamMetrics, type UpstreamMetrics } from './upstream-metrics.js';
import { SubgraphUpstream, type HealthProbe, type ReplicaSpec } from './upstream.js';

export interface UpstreamsOptions {
  config: UpstreamConfig;
  /** The env name of a subgraph (`subgraphEnvName`). */
  envNameOf: (name: string) => string;
  /** The single URL of a subgraph without `SUBGRAPH_REPLICAS_<NAME>`. */
  urlOf: (subgraph: { name: string; url?: string }) => string;
  registry: Registry;
  logger: Logger;
  probe: HealthProbe;
}

/**
 * The upstream of every subgraph, one per subgraph for the gateway's lifetime. Apollo Gateway
 * builds new data sources whenever the supergraph reloads; they all find the same upstream here,
 * so replica health, breakers and budgets survive a reload, and only a subgraph whose replicas
 * changed gets a fresh one.
 */
export class Upstreams {
  private readonly byName = new Map<string, { key: string; upstream: SubgraphUpstream }>();
  private readonly metrics: UpstreamMetrics;

  constructor(private readonly options: UpstreamsOptions) {
    this.metrics = createUpstreamMetrics(options.registry);
  }

  /** The replicas a subgraph is served by. */
  replicasOf(subgraph: { name: string; url?: string }): ReplicaSpec[] {
    return this.options.config.replicas[this.options.envNameOf(subgraph.name)] ?? [{ url: this.options.urlOf(subgraph), weight: 1 }];
  }

  for(subgraph: { name: string; url?: string }): SubgraphUpstream {
    const replicas = this.replicasOf(subgraph);
    const key = JSON.stringify(replicas);
    const known = this.byName.get(subgraph.name);
    if (known?.key === key) return known.upstream;
    known?.upstream.close();
    const upstream = new SubgraphUpstream({
      subgraph: subgraph.name,
      replicas,
      policy: policyFor(this.options.config, this.options.envNameOf(subgraph.name)),
      metrics: this.metrics,
      logger: this.options.logger.child({ component: 'upstream' }),
      probe: this.options.probe,
    });
    this.byName.set(subgraph.name, { key, upstream });
    return upstream;
  }

  /** Stops the upstreams of subgraphs the supergraph no longer names. */
  retain(names: readonly string[]): void {
    for (const [name, { upstream }] of this.byName) {
      if (!names.includes(name)) {
        upstream.close();
        this.byName.delete(name);
      }
    }
  }

  close(): void {
    this.retain([]);
  }
}
