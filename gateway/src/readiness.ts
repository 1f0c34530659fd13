import type { ReadinessCheck } from '@shopgraph/common';
import type { SubgraphEndpoint } from './supergraph-file.js';

async function probeHealth(graphqlUrl: string): Promise<void> {
  const healthUrl = new URL('/health', graphqlUrl);
  let response: Response;
  try {
    response = await fetch(healthUrl, { signal: AbortSignal.timeout(2000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : undefined);
    throw new Error(`unreachable${reason ? ` (${reason})` : ''}`);
  }
  await response.body?.cancel();
  if (!response.ok) throw new Error(`health answered HTTP ${response.status}`);
}

/**
 * The gateway's `/ready` checks. `checks` is the object given to `createServiceApp`, which reads
 * it on every request: until a supergraph loads it holds a failing `supergraph` check, then one
 * `GET <origin>/health` probe per subgraph of the supergraph being served.
 */
export class GatewayReadiness {
  readonly checks: Record<string, ReadinessCheck> = {
    supergraph: async () => {
      throw new Error('no supergraph loaded yet');
    },
  };

  /** Follows the supergraph in service; `urlOf` gives the URL the gateway really calls. */
  supergraphLoaded(subgraphs: SubgraphEndpoint[], urlOf: (subgraph: SubgraphEndpoint) => string): void {
    for (const name of Object.keys(this.checks)) delete this.checks[name];
    this.checks.supergraph = async () => undefined;
    for (const subgraph of subgraphs) {
      const url = urlOf(subgraph);
      this.checks[`subgraph ${subgraph.name}`] = () => probeHealth(url);
    }
  }
}
