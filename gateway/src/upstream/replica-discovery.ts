import { promises as dns } from 'node:dns';
import type { Logger } from '@shopgraph/common';
import type { ReplicaSpec, SubgraphUpstream } from './upstream.js';

/** The IPv4 addresses a host name stands for now; rejects when it cannot say. */
export type ResolveAddresses = (hostname: string) => Promise<string[]>;

/**
 * A headless Service's A records, one per ready pod. `resolve4` asks the DNS server every time
 * (no getaddrinfo cache, no libuv thread pool), so a refresh sees pods come and go; names it cannot
 * answer (`localhost`, /etc/hosts entries, an IP literal) fall back to the system resolver.
 * Search domains do not apply to `resolve4`: Kubernetes names must be fully qualified.
 */
export const resolveAddresses: ResolveAddresses = async (hostname) => {
  try {
    return await dns.resolve4(hostname);
  } catch {
    const found = await dns.lookup(hostname, { all: true, family: 4 });
    return found.map(({ address }) => address);
  }
};

export interface ReplicaDiscoveryOptions {
  upstream: Pick<SubgraphUpstream, 'subgraph' | 'setReplicas'>;
  /** `SUBGRAPH_DNS_<NAME>`: each replica's URL is this one with the host replaced by an address. */
  url: string;
  refreshMs: number;
  logger: Logger;
  resolve?: ResolveAddresses;
}

/**
 * Keeps an upstream's replicas equal to the addresses its discovery URL's host resolves to,
 * refreshed every `refreshMs`, each of weight 1. A failed or empty answer keeps the last list:
 * a DNS hiccup or a rollout's instant without ready pods must not leave the subgraph with none.
 */
export class ReplicaDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private readonly template: URL;

  constructor(private readonly options: ReplicaDiscoveryOptions) {
    this.template = new URL(options.url);
  }

  /** Refreshes now, then every `refreshMs` until `close`; never keeps the process alive. */
  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** One resolution applied to the upstream; resolves even when DNS fails (the failure is logged). */
  async refresh(): Promise<void> {
    const { upstream, logger, resolve = resolveAddresses } = this.options;
    const hostname = this.template.hostname;
    let addresses: string[];
    try {
      addresses = await resolve(hostname);
    } catch (error) {
      logger.warn({ err: error, subgraph: upstream.subgraph, hostname }, 'replica discovery failed; keeping the last replicas');
      return;
    }
    if (addresses.length === 0) {
      logger.warn({ subgraph: upstream.subgraph, hostname }, 'replica discovery found no address; keeping the last replicas');
      return;
    }
    // Sorted because DNS servers rotate the order of their records: the set, not the order, is the news.
    upstream.setReplicas([...new Set(addresses)].sort().map((address) => this.replicaAt(address)));
  }

  private replicaAt(address: string): ReplicaSpec {
    const url = new URL(this.template);
    url.hostname = address;
    return { url: url.toString(), weight: 1 };
  }
}
