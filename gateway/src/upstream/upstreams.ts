import type { Logger } from '@shopgraph/common';
import type { Registry } from 'prom-client';
import { policyFor, type UpstreamConfig } from './upstream-env.js';
import { ReplicaDiscovery } from './replica-discovery.js';
import { createUpstreamMetrics, type UpstreamMetrics } from './upstream-metrics.js';
import { SubgraphUpstream, type HealthProbe, type ReplicaSpec } from './upstream.js';

export interface UpstreamsOptions {
  config: UpstreamConfig;
  /** The env name of a subgraph (`subgraphEnvName`). */
  envNameOf: (name: string) => string;
  /** The single URL of a subgraph without `SUBGRAPH_DNS_<NAME>` or `SUBGRAPH_REPLICAS_<NAME>`. */
  urlOf: (subgraph: { name: string; url?: string }) => string;
  registry: Registry;
  logger: Logger;
  probe: HealthProbe;
}

/**
 * The upstream of every subgraph, one per subgraph for the gateway's lifetime. Apollo Gateway
 * builds new data sources whenever the supergraph reloads; they all find the same upstream here,
 * so replica health, breakers and budgets survive a reload, and only a subgraph whose replicas
 * changed gets a fresh one. A subgraph with `SUBGRAPH_DNS_<NAME>` takes its replicas from DNS,
 * refreshed in place; until the first answer it is served by its configured replicas or URL.
 */
export class Upstreams {
  private readonly byName = new Map<string, { key: string; upstream: SubgraphUpstream; discovery?: ReplicaDiscovery }>();
  private readonly metrics: UpstreamMetrics;

  constructor(private readonly options: UpstreamsOptions) {
    this.metrics = createUpstreamMetrics(options.registry);
  }

  /** The replicas a subgraph is served by until discovery, if it has any, answers. */
  replicasOf(subgraph: { name: string; url?: string }): ReplicaSpec[] {
    return this.options.config.replicas[this.options.envNameOf(subgraph.name)] ?? [{ url: this.options.urlOf(subgraph), weight: 1 }];
  }

  for(subgraph: { name: string; url?: string }): SubgraphUpstream {
    const replicas = this.replicasOf(subgraph);
    const dnsUrl = this.options.config.dns[this.options.envNameOf(subgraph.name)];
    const key = JSON.stringify({ replicas, dnsUrl });
    const known = this.byName.get(subgraph.name);
    if (known?.key === key) return known.upstream;
    if (known) this.stop(known);
    const upstream = new SubgraphUpstream({
      subgraph: subgraph.name,
      replicas,
      policy: policyFor(this.options.config, this.options.envNameOf(subgraph.name)),
      metrics: this.metrics,
      logger: this.options.logger.child({ component: 'upstream' }),
      probe: this.options.probe,
    });
    const discovery =
      dnsUrl === undefined
        ? undefined
        : new ReplicaDiscovery({ upstream, url: dnsUrl, refreshMs: this.options.config.dnsRefreshMs, logger: this.options.logger.child({ component: 'upstream' }) });
    discovery?.start();
    this.byName.set(subgraph.name, { key, upstream, ...(discovery ? { discovery } : {}) });
    return upstream;
  }

  /** Stops the upstreams of subgraphs the supergraph no longer names. */
  retain(names: readonly string[]): void {
    for (const [name, known] of this.byName) {
      if (!names.includes(name)) {
        this.stop(known);
        this.byName.delete(name);
      }
    }
  }

  private stop({ upstream, discovery }: { upstream: SubgraphUpstream; discovery?: ReplicaDiscovery }): void {
    discovery?.close();
    upstream.close();
  }

  close(): void {
    this.retain([]);
  }
}
