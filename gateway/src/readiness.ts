import type { ReadinessCheck } from '@shopgraph/common';
import type { SubgraphEndpoint } from './supergraph-file.js';

/** `GET <origin of graphqlUrl>/health`: resolves on a 2xx in time, rejects saying why otherwise. */
export async function probeHealth(graphqlUrl: string, timeoutMs = 2000): Promise<void> {
  const healthUrl = new URL('/health', graphqlUrl);
  let response: Response;
  try {
    response = await fetch(healthUrl, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : undefined);
    throw new Error(`unreachable${reason ? ` (${reason})` : ''}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`health answered HTTP ${response.status}`);
}

/** Resolves when any of the replicas answers `/health`; with one replica, fails with its reason. */
async function probeAnyReplica(urls: string[]): Promise<void> {
  try {
    await Promise.any(urls.map((url) => probeHealth(url)));
  } catch (error) {
    const reasons = (error as AggregateError).errors.map((reason: Error) => reason.message);
    throw new Error(reasons.length === 1 ? reasons[0] : `no replica answers: ${[...new Set(reasons)].join(', ')}`);
  }
}

/**
 * The gateway's `/ready` checks. `checks` is the object given to `createServiceApp`, which reads
 * it on every request: until a supergraph loads it holds a failing `supergraph` check, then one
 * check per subgraph of the supergraph being served, passing when any of its replicas answers
 * `GET <origin>/health`. The `dependencies` given (Redis) are checked throughout.
 */
export class GatewayReadiness {
  readonly checks: Record<string, ReadinessCheck>;

  constructor(private readonly dependencies: Record<string, ReadinessCheck> = {}) {
    this.checks = {
      ...dependencies,
      supergraph: async () => {
        throw new Error('no supergraph loaded yet');
      },
    };
  }

  /**
   * Follows the supergraph in service; `urlsOf` gives the replica URLs the gateway really calls,
   * asked at every check since replica discovery changes them.
   */
  supergraphLoaded(subgraphs: SubgraphEndpoint[], urlsOf: (subgraph: SubgraphEndpoint) => string[]): void {
    for (const name of Object.keys(this.checks)) delete this.checks[name];
    Object.assign(this.checks, this.dependencies);
    this.checks.supergraph = async () => undefined;
    for (const subgraph of subgraphs) {
      this.checks[`subgraph ${subgraph.name}`] = () => probeAnyReplica(urlsOf(subgraph));
    }
  }
}
